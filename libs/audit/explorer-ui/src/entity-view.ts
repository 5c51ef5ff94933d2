import { useEffect, useState } from 'preact/hooks';
import { type DataLogJson, type Explorer, type PageJson, type SnapshotJson, getJson, pathPart } from './api';
import { DiffTable } from './diff-table';
import { formatDateTime, routeOf } from './format';
import { html } from './html';
import { displayValue, replayStates } from './logic/diff';
import { formatRoute } from './logic/route';
import { isoFromLocalInput, localInputFromIso } from './logic/time-input';
import { Heading, Problem, useLoad } from './ui';

const PAGE = 100;

function StateAt(props: { explorer: Explorer; entityType: string; entityId: string; at?: string }) {
  const { explorer, entityType, entityId, at } = props;
  const [draft, setDraft] = useState(localInputFromIso(at));
  const [invalid, setInvalid] = useState(false);
  useEffect(() => setDraft(localInputFromIso(at)), [at]);
  const snapshot = useLoad<SnapshotJson | undefined>(
    (signal) =>
      at
        ? getJson(
            explorer,
            `entities/${pathPart(entityType)}/${pathPart(entityId)}/state?at=${encodeURIComponent(at)}`,
            signal,
          )
        : Promise.resolve(undefined),
    [entityType, entityId, at],
  );
  const submit = (event: Event) => {
    event.preventDefault();
    const iso = isoFromLocalInput(draft);
    setInvalid(!iso);
    if (iso) location.hash = formatRoute({ view: 'entity', entityType, entityId, at: iso });
  };
  return html`<section class="state-at" aria-labelledby="state-at-title">
    <h2 id="state-at-title">State at a moment</h2>
    <form onSubmit=${submit}>
      <label for="state-at-input">Moment (your local time, to the millisecond)</label>
      <input
        id="state-at-input"
        type="datetime-local"
        step="0.001"
        value=${draft}
        aria-invalid=${invalid ? 'true' : 'false'}
        aria-describedby=${invalid ? 'state-at-error' : undefined}
        onInput=${(event: Event) => setDraft((event.target as HTMLInputElement).value)}
      />
      <button type="submit">Show state</button>
      ${invalid && html`<p id="state-at-error" role="alert" class="problem">Enter a date and time.</p>`}
    </form>
    ${snapshot.error && html`<${Problem} error=${snapshot.error} />`}
    ${
      at &&
      snapshot.value &&
      html`<div class="snapshot" role="region" aria-label="State at the chosen moment">
        <p>
          At <time datetime=${at}>${formatDateTime(at)}</time>:
          ${snapshot.value.exists ? ' it existed with these fields.' : ' it did not exist (not yet created, or deleted).'}
        </p>
        ${
          snapshot.value.values &&
          html`<table class="fields">
            <caption class="visually-hidden">
              Fields at the chosen moment
            </caption>
            <thead>
              <tr>
                <th scope="col">Field</th>
                <th scope="col">Value</th>
              </tr>
            </thead>
            <tbody>
              ${Object.entries(snapshot.value.values).map(
                ([field, value]) =>
                  html`<tr data-field=${field}>
                    <th scope="row"><code>${field}</code></th>
                    <td><code>${displayValue(value)}</code></td>
                  </tr>`,
              )}
            </tbody>
          </table>`
        }
      </div>`
    }
  </section>`;
}

/** One entity's changes with a diff each, and its state at any chosen moment. */
export function EntityView(props: { explorer: Explorer; entityType: string; entityId: string; at?: string }) {
  const { explorer, entityType, entityId } = props;
  const [rows, setRows] = useState<DataLogJson[]>([]);
  const [next, setNext] = useState<number | undefined>(undefined);
  const [cursor, setCursor] = useState<number | undefined>(undefined);
  useEffect(() => {
    setRows([]);
    setCursor(undefined);
  }, [entityType, entityId]);
  const page = useLoad<PageJson<DataLogJson>>(
    (signal) =>
      getJson(
        explorer,
        `entities/${pathPart(entityType)}/${pathPart(entityId)}?limit=${PAGE}${cursor ? `&beforeId=${cursor}` : ''}`,
        signal,
      ),
    [entityType, entityId, cursor],
  );
  useEffect(() => {
    if (!page.value) return;
    setRows((previous) => (cursor ? [...previous, ...page.value!.rows] : page.value!.rows));
    setNext(page.value.nextBeforeId);
  }, [page.value]);

  const oldestFirst = [...rows].reverse();
  const states = replayStates(oldestFirst);
  const title = html`<${Heading}>${entityType} <code>#${entityId}</code></${Heading}>`;
  return html`${title}
    <${StateAt} explorer=${explorer} entityType=${entityType} entityId=${entityId} at=${props.at} />
    <section aria-labelledby="history-title">
      <h2 id="history-title">History, newest first</h2>
      ${page.error && html`<${Problem} error=${page.error} />`}
      ${!page.value && !page.error && html`<p role="status">Loading…</p>`}
      ${page.value && rows.length === 0 && html`<p>No change of this entity is in the trail.</p>`}
      <ol class="history">
        ${oldestFirst
          .map((row, index) => ({ row, state: states[index] }))
          .reverse()
          .map(
            ({ row, state }) =>
              html`<li class="change" data-id=${row.id} data-action=${row.action}>
                <p class="change-head">
                  <strong>${row.action}</strong>
                  ${' '}<time datetime=${row.createdAt}>${formatDateTime(row.createdAt)}</time>
                  ${row.userId && html` · by ${row.userId}`}
                  ${routeOf(row.metadata) && html` · <code>${routeOf(row.metadata)}</code>`}
                  ${
                    row.transactionId &&
                    html` ·
                      <a
                        href=${formatRoute({ view: 'transaction', transactionId: row.transactionId, open: `data-${row.id}` })}
                        >transaction</a
                      >`
                  }
                  ${' · '}<a href=${formatRoute({ view: 'entity', entityType, entityId, at: row.createdAt })}
                    >state after this change</a
                  >
                </p>
                <${DiffTable}
                  before=${state.before}
                  after=${state.after}
                  caption=${`${row.action} at ${formatDateTime(row.createdAt)}`}
                />
              </li>`,
          )}
      </ol>
      ${next !== undefined && html`<button type="button" onClick=${() => setCursor(next)}>Older changes</button>`}
    </section>`;
}
