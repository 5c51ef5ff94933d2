import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Explorer } from './api';
import { EntityView } from './entity-view';
import { html } from './html';
import { type Route, parseRoute } from './logic/route';
import { SearchView } from './search-view';
import { TransactionView } from './transaction-view';

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}

function App(props: { explorer: Explorer }) {
  const route = useRoute();
  const { explorer } = props;
  let view;
  if (route.view === 'transaction') {
    view = html`<${TransactionView}
      key=${route.transactionId}
      explorer=${explorer}
      transactionId=${route.transactionId}
      open=${route.open}
    />`;
  } else if (route.view === 'entity') {
    view = html`<${EntityView}
      key=${`${route.entityType}/${route.entityId}`}
      explorer=${explorer}
      entityType=${route.entityType}
      entityId=${route.entityId}
      at=${route.at}
    />`;
  } else {
    view = html`<${SearchView} explorer=${explorer} params=${route.params} />`;
  }
  return html`<header class="top">
      <a class="brand" href="#/search">Audit trail explorer</a>
      <nav aria-label="Explorer"><a href="#/search">Search</a></nav>
    </header>
    <main class="view">${view}</main>`;
}

const root = document.getElementById('explorer');
if (root) {
  const explorer: Explorer = {
    base: root.dataset.base ?? '',
    trails: { data: root.dataset.dataTrail === 'true', api: root.dataset.apiTrail === 'true' },
  };
  render(html`<${App} explorer=${explorer} />`, root);
}
