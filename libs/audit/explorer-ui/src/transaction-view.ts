import { useEffect, useState } from 'preact/hooks';
import { type ApiLogJson, type DataLogJson, type Explorer, type TransactionTrailJson, getJson, pathPart } from './api';
import { DiffTable } from './diff-table';
import { formatDateTime, formatTime, prettyJson, routeOf } from './format';
import { html } from './html';
import { formatRoute } from './logic/route';
import { type PlacedEntry, formatDuration, layoutTimeline } from './logic/timeline';
import { Heading, Problem, useLoad } from './ui';

type Item = { kind: 'data'; log: DataLogJson } | { kind: 'api'; log: ApiLogJson };

const entityLink = (log: DataLogJson) =>
  formatRoute({ view: 'entity', entityType: log.entityType, entityId: log.entityId });

function summary(item: Item): string {
  if (item.kind === 'data') return `${item.log.action} ${item.log.entityType} #${item.log.entityId}`;
  return `${item.log.method} ${item.log.service} ${item.log.endpoint}`;
}

function outcome(item: Item): string {
  if (item.kind === 'data') return item.log.action;
  const status = item.log.statusCode === 0 ? 'no response' : String(item.log.statusCode);
  return `${status} · ${formatDuration(item.log.durationMs)}`;
}

function Track(props: { placed: PlacedEntry<Item> }) {
  const { placed } = props;
  const isCall = placed.entry.kind === 'api';
  // Set through the style object (CSSOM), which the page's Content-Security-Policy allows.
  const style = isCall ? { left: `${placed.left}%`, width: `max(${placed.width}%, 2px)` } : { left: `${placed.left}%` };
  const failed =
    isCall && ((placed.entry.log as ApiLogJson).statusCode >= 400 || (placed.entry.log as ApiLogJson).statusCode === 0);
  return html`<div class="track" aria-hidden="true">
    <span class=${isCall ? `bar${failed ? ' failed' : ''}` : 'point'} style=${style}></span>
  </div>`;
}

function CallDetail(props: { log: ApiLogJson }) {
  const { log } = props;
  return html`<div class="call-detail">
    <dl class="facts">
      <dt>Endpoint</dt>
      <dd><code>${log.method} ${log.endpoint}</code></dd>
      <dt>Status</dt>
      <dd>${log.statusCode === 0 ? 'no response' : log.statusCode}</dd>
      <dt>Duration</dt>
      <dd>${log.durationMs} ms</dd>
      ${
        log.errorMessage &&
        html`<dt>Error</dt>
          <dd>${log.errorMessage}</dd>`
      }
    </dl>
    <div class="panels">
      <section aria-label="Request headers">
        <h4>Request headers</h4>
        <pre>${prettyJson(log.requestHeaders)}</pre>
      </section>
      <section aria-label="Request body">
        <h4>Request body</h4>
        <pre>${prettyJson(log.requestBody)}</pre>
      </section>
      <section aria-label="Response body">
        <h4>Response body</h4>
        <pre>${prettyJson(log.responseBody)}</pre>
      </section>
    </div>
  </div>`;
}

function TimelineRow(props: { placed: PlacedEntry<Item>; open: boolean; onToggle: () => void }) {
  const { placed, open } = props;
  const item = placed.entry;
  const detailId = `detail-${placed.key}`;
  return html`<tbody class=${`entry ${item.kind}${open ? ' open' : ''}`} data-kind=${item.kind} data-key=${placed.key}>
    <tr>
      <td class="time">
        <time datetime=${item.log.createdAt} title=${formatDateTime(item.log.createdAt)}
          >${formatTime(item.log.createdAt)}</time
        >
      </td>
      <td class="offset">+${placed.offsetMs} ms</td>
      <td class="what">
        <button
          type="button"
          aria-expanded=${open ? 'true' : 'false'}
          aria-controls=${detailId}
          onClick=${props.onToggle}
        >
          <span class=${`kind ${item.kind}`}>${item.kind === 'data' ? 'change' : 'call'}</span> ${summary(item)}
        </button>
      </td>
      <td class="outcome">${outcome(item)}</td>
      <td class="user">${item.log.userId || '—'}</td>
      <td class="route"><code>${routeOf(item.log.metadata) || '—'}</code></td>
      <td class="axis-cell"><${Track} placed=${placed} /></td>
    </tr>
    ${
      open &&
      html`<tr class="detail" id=${detailId}>
        <td colspan="7">
          ${
            item.kind === 'data'
              ? html`<${DiffTable}
                    before=${item.log.oldValues}
                    after=${item.log.newValues}
                    caption=${`${item.log.action} ${item.log.entityType} #${item.log.entityId}`}
                  />
                  <p><a href=${entityLink(item.log)}>History of ${item.log.entityType} #${item.log.entityId}</a></p>`
              : html`<${CallDetail} log=${item.log} />`
          }
        </td>
      </tr>`
    }
  </tbody>`;
}

/** One transaction on one time axis: changes as points, calls as bars of their duration. */
export function TransactionView(props: { explorer: Explorer; transactionId: string; open?: string }) {
  const { explorer, transactionId } = props;
  const state = useLoad<TransactionTrailJson>(
    (signal) => getJson(explorer, `transactions/${pathPart(transactionId)}`, signal),
    [transactionId],
  );
  const [open, setOpen] = useState<Set<string>>(new Set(props.open ? [props.open] : []));
  useEffect(() => setOpen(new Set(props.open ? [props.open] : [])), [transactionId]);

  const toggle = (key: string) => {
    const next = new Set(open);
    if (next.has(key)) next.delete(key);
    else next.add(key);
    setOpen(next);
    // Keep the link shareable: the last opened row goes into the URL without a new history entry.
    const last = next.has(key) ? key : [...next].pop();
    history.replaceState(null, '', formatRoute({ view: 'transaction', transactionId, open: last }));
  };

  const title = html`<${Heading}>Transaction <code>${transactionId}</code></${Heading}>`;
  if (state.error) return html`${title}<${Problem} error=${state.error} />`;
  if (!state.value)
    return html`${title}
      <p role="status">Loading…</p>`;
  const trail = state.value;
  const layout = layoutTimeline<Item>(trail.timeline);
  const first = trail.timeline[0]?.log.createdAt;
  return html`${title}
    <p class="lede" id="tx-summary">
      ${trail.dataLogs.length} data ${trail.dataLogs.length === 1 ? 'change' : 'changes'} and
      ${' '}${trail.apiLogs.length} outbound ${trail.apiLogs.length === 1 ? 'call' : 'calls'} over
      ${' '}${formatDuration(layout.spanMs)}${first ? html`, from <time datetime=${first}>${formatDateTime(first)}</time>` : ''}.
      ${' '}<a href=${formatRoute({ view: 'search', params: { trail: 'data', transactionId } })}>Search these rows</a>
    </p>
    <table class="timeline" aria-describedby="tx-summary">
      <caption class="visually-hidden">
        Rows of transaction ${transactionId} in the order they happened
      </caption>
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Offset</th>
          <th scope="col">What</th>
          <th scope="col">Result</th>
          <th scope="col">User</th>
          <th scope="col">Route</th>
          <th scope="col" class="axis-head">
            <span class="visually-hidden">Time axis</span>
            <span class="ticks" aria-hidden="true">${layout.ticks.map((tick) => html`<span>${tick} ms</span>`)}</span>
          </th>
        </tr>
      </thead>
      ${layout.entries.map(
        (placed) =>
          html`<${TimelineRow}
            key=${placed.key}
            placed=${placed}
            open=${open.has(placed.key)}
            onToggle=${() => toggle(placed.key)}
          />`,
      )}
    </table>`;
}
