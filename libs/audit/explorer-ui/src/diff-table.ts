import { type DiffLine, type Values, diffLines, displayValue } from './logic/diff';
import { html } from './html';

const cell = (value: unknown, missing: boolean, tag: 'del' | 'ins' | null) => {
  const text = displayValue(value, missing);
  if (missing || !tag) return html`<td><code>${text}</code></td>`;
  return tag === 'del'
    ? html`<td>
        <del><code>${text}</code></del>
      </td>`
    : html`<td>
        <ins><code>${text}</code></ins>
      </td>`;
};

const lineRow = (line: DiffLine) =>
  html`<tr class=${line.changed ? 'changed' : 'same'} data-field=${line.field}>
    <th scope="row"><code>${line.field}</code></th>
    ${cell(line.before, line.beforeMissing, line.changed ? 'del' : null)}
    ${cell(line.after, line.afterMissing, line.changed ? 'ins' : null)}
  </tr>`;

/** Old → new of one change: changed fields highlighted, unchanged ones folded away. */
export function DiffTable(props: { before: Values | null; after: Values | null; caption: string }) {
  const lines = diffLines(props.before, props.after);
  const changed = lines.filter((line) => line.changed);
  const same = lines.filter((line) => !line.changed);
  const head = html`<thead>
    <tr>
      <th scope="col">Field</th>
      <th scope="col">Before</th>
      <th scope="col">After</th>
    </tr>
  </thead>`;
  return html`<div class="diff">
    <table>
      <caption>
        ${props.caption}: ${changed.length} changed
      </caption>
      ${head}
      <tbody>
        ${changed.map(lineRow)}
      </tbody>
    </table>
    ${
      same.length > 0 &&
      html`<details>
        <summary>${same.length} unchanged ${same.length === 1 ? 'field' : 'fields'}</summary>
        <table>
          <caption class="visually-hidden">
            ${props.caption}: unchanged
          </caption>
          ${head}
          <tbody>
            ${same.map(lineRow)}
          </tbody>
        </table>
      </details>`
    }
  </div>`;
}
