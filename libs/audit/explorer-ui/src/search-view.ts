import { useEffect, useState } from 'preact/hooks';
import { type ApiLogJson, type DataLogJson, type Explorer, type PageJson, getJson } from './api';
import { formatDateTime, routeOf } from './format';
import { html } from './html';
import { formatRoute, apiQuery } from './logic/route';
import { isoFromLocalInput, localInputFromIso } from './logic/time-input';
import { formatDuration } from './logic/timeline';
import { Heading, Problem, useLoad } from './ui';

const ACTIONS = ['create', 'update', 'delete', 'soft_delete', 'restore'];

const txLink = (transactionId: string) =>
  transactionId
    ? html`<a href=${formatRoute({ view: 'transaction', transactionId })}><code>${transactionId}</code></a>`
    : '—';

/**
 * Uncontrolled (defaultValue): what the reader types survives a re-render while results load; the
 * form is keyed by the route, so following a link remounts it with the link's values.
 */
function Field(props: {
  name: string;
  label: string;
  value?: string;
  type?: string;
  disabled?: boolean;
  inputMode?: string;
}) {
  return html`<div class="field">
    <label for=${`f-${props.name}`}>${props.label}</label>
    <input
      id=${`f-${props.name}`}
      name=${props.name}
      type=${props.type ?? 'text'}
      defaultValue=${props.value ?? ''}
      disabled=${props.disabled}
      inputmode=${props.inputMode}
      step=${props.type === 'datetime-local' ? '0.001' : undefined}
    />
  </div>`;
}

function readForm(form: HTMLFormElement): Record<string, string> {
  const params: Record<string, string> = {};
  for (const element of Array.from(form.elements) as HTMLInputElement[]) {
    const key = element.name;
    if (!key || element.disabled || ((element.type === 'radio' || element.type === 'checkbox') && !element.checked))
      continue;
    const text = String(element.value).trim();
    if (!text) continue;
    params[key] = key === 'from' || key === 'to' ? (isoFromLocalInput(text) ?? text) : text;
  }
  return params;
}

function DataRows(props: { rows: DataLogJson[] }) {
  return html`<table class="results">
    <caption class="visually-hidden">
      Data changes
    </caption>
    <thead>
      <tr>
        <th scope="col">Id</th>
        <th scope="col">Time</th>
        <th scope="col">Action</th>
        <th scope="col">Entity</th>
        <th scope="col">User</th>
        <th scope="col">Route</th>
        <th scope="col">Transaction</th>
      </tr>
    </thead>
    <tbody>
      ${props.rows.map(
        (row) =>
          html`<tr data-id=${row.id}>
            <td>${row.id}</td>
            <td><time datetime=${row.createdAt}>${formatDateTime(row.createdAt)}</time></td>
            <td>${row.action}</td>
            <td>
              <a href=${formatRoute({ view: 'entity', entityType: row.entityType, entityId: row.entityId })}
                >${row.entityType} #${row.entityId}</a
              >
            </td>
            <td>${row.userId || '—'}</td>
            <td><code>${routeOf(row.metadata) || '—'}</code></td>
            <td>${txLink(row.transactionId)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function ApiRows(props: { rows: ApiLogJson[] }) {
  return html`<table class="results">
    <caption class="visually-hidden">
      Outbound calls
    </caption>
    <thead>
      <tr>
        <th scope="col">Id</th>
        <th scope="col">Time</th>
        <th scope="col">Service</th>
        <th scope="col">Call</th>
        <th scope="col">Status</th>
        <th scope="col">Duration</th>
        <th scope="col">User</th>
        <th scope="col">Transaction</th>
      </tr>
    </thead>
    <tbody>
      ${props.rows.map(
        (row) =>
          html`<tr data-id=${row.id}>
            <td>${row.id}</td>
            <td><time datetime=${row.createdAt}>${formatDateTime(row.createdAt)}</time></td>
            <td>${row.service}</td>
            <td><code>${row.method} ${row.endpoint}</code></td>
            <td>${row.statusCode === 0 ? 'no response' : row.statusCode}</td>
            <td>${formatDuration(row.durationMs)}</td>
            <td>${row.userId || '—'}</td>
            <td>${txLink(row.transactionId)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** Search either trail by any of its fields; newest first, keyset paged; exports of the whole filter. */
export function SearchView(props: { explorer: Explorer; params: Record<string, string> }) {
  const { explorer, params } = props;
  const defaultTrail = explorer.trails.data ? 'data' : 'api';
  const trail = params.trail === 'api' || params.trail === 'data' ? params.trail : defaultTrail;
  const [chosen, setChosen] = useState(trail);
  useEffect(() => setChosen(trail), [trail]);
  const query = apiQuery({ ...params, trail }, 'page');
  const page = useLoad<PageJson<DataLogJson | ApiLogJson>>(
    (signal) => getJson(explorer, `logs?${query.toString()}`, signal),
    [query.toString()],
  );
  const submit = (event: Event) => {
    event.preventDefault();
    location.hash = formatRoute({ view: 'search', params: readForm(event.currentTarget as HTMLFormElement) });
  };
  const exportQuery = apiQuery({ ...params, trail }, 'export').toString();
  const isData = chosen === 'data';
  return html`<${Heading}>Search the trail</${Heading}>
    <form class="search" key=${formatRoute({ view: 'search', params })} onSubmit=${submit} aria-label="Filter">
      <fieldset class="trail-choice">
        <legend>Trail</legend>
        <label><input type="radio" name="trail" value="data" defaultChecked=${trail === 'data'} disabled=${!explorer.trails.data}
          onChange=${() => setChosen('data')} /> Data changes</label>
        <label><input type="radio" name="trail" value="api" defaultChecked=${trail === 'api'} disabled=${!explorer.trails.api}
          onChange=${() => setChosen('api')} /> Outbound calls</label>
      </fieldset>
      <div class="fields">
        <${Field} name="transactionId" label="Transaction ID" value=${params.transactionId} />
        <${Field} name="userId" label="User" value=${params.userId} />
        <${Field} name="entityType" label="Entity type" value=${params.entityType} disabled=${!isData} />
        <${Field} name="entityId" label="Entity id" value=${params.entityId} disabled=${!isData} />
        <div class="field">
          <label for="f-action">Action</label>
          <select id="f-action" name="action" disabled=${!isData}>
            <option value="">any</option>
            ${ACTIONS.map((action) => html`<option value=${action} defaultSelected=${params.action === action}>${action}</option>`)}
          </select>
        </div>
        <${Field} name="service" label="Service" value=${params.service} disabled=${isData} />
        <${Field} name="status" label="Status code" value=${params.status} disabled=${isData} inputMode="numeric" />
        <${Field} name="from" label="From (local time)" type="datetime-local" value=${localInputFromIso(params.from)} />
        <${Field} name="to" label="To (local time)" type="datetime-local" value=${localInputFromIso(params.to)} />
      </div>
      <div class="actions">
        <button type="submit">Search</button>
        <a class="button" href="#/search">Clear</a>
        <span class="exports">Export this filter:
          <a class="button" download href=${`${explorer.base}/api/export?${exportQuery}&format=csv`}>CSV</a>
          <a class="button" download href=${`${explorer.base}/api/export?${exportQuery}&format=ndjson`}>NDJSON</a>
        </span>
      </div>
    </form>
    <section aria-labelledby="results-title" aria-busy=${!page.value && !page.error ? 'true' : 'false'}>
      <h2 id="results-title">${trail === 'data' ? 'Data changes' : 'Outbound calls'}, newest first</h2>
      ${page.error && html`<${Problem} error=${page.error} />`}
      ${!page.value && !page.error && html`<p role="status">Loading…</p>`}
      ${page.value && page.value.rows.length === 0 && html`<p role="status">No row matches.</p>`}
      ${
        page.value &&
        page.value.rows.length > 0 &&
        (trail === 'data'
          ? html`<${DataRows} rows=${page.value.rows as DataLogJson[]} />`
          : html`<${ApiRows} rows=${page.value.rows as ApiLogJson[]} />`)
      }
      <nav class="pager" aria-label="Pages">
        ${params.beforeId && html`<a class="button" href=${formatRoute({ view: 'search', params: { ...params, beforeId: '' } })}>Newest</a>`}
        ${
          page.value?.nextBeforeId !== undefined &&
          html`<a
            class="button"
            rel="next"
            href=${formatRoute({ view: 'search', params: { ...params, trail, beforeId: String(page.value.nextBeforeId) } })}
            >Older</a
          >`
        }
      </nav>
    </section>`;
}
