import './style.css';
import { configToSearch, parseConfig, type ViewConfig } from './lib/config';
import { formatNames } from './lib/names';
import { LiveModel, type Snapshot } from './data/live-model';
import { byId, mount } from './ui/dom';
import { renderStatus, renderProblems } from './ui/status';
import { renderSummary } from './ui/summary';
import { renderGraph } from './ui/graph-view';
import { renderBalances, type BalanceMode } from './ui/balance-chart';
import { renderChannels } from './ui/channels-table';
import { renderOffchain } from './ui/offchain-view';
import { renderCosts } from './ui/cost-view';
import { renderTransactions } from './ui/transactions';

/** The bearer token lives in this tab's sessionStorage only: never in the URL, never in localStorage. */
const TOKEN_KEY = 'chanpay.visualizer.token';

const ui = {
  balanceMode: 'change' as BalanceMode,
  selectedChannel: null as string | null,
  openTransactions: new Set<string>(),
};

let config: ViewConfig = parseConfig(location.search, location.hash);
let model: LiveModel | null = null;
let lastRendered: Snapshot | null = null;
let renderQueued = false;

function input(id: string): HTMLInputElement {
  return byId<HTMLInputElement>(id);
}

function fillForm(): void {
  input('rpc').value = config.rpcUrl;
  input('contract').value = config.contract ?? '';
  input('server').value = config.paymentServerUrl ?? '';
  input('token').value = sessionStorage.getItem(TOKEN_KEY) ?? '';
  input('names').value = formatNames(config.names);
  input('watch').value = config.watch.join(',');
}

function connect(): void {
  model?.stop();
  lastRendered = null;
  model = new LiveModel(
    {
      rpcUrl: config.rpcUrl,
      contract: config.contract,
      paymentServerUrl: config.paymentServerUrl,
      paymentServerToken: sessionStorage.getItem(TOKEN_KEY) || null,
      names: config.names,
      watch: config.watch,
    },
    scheduleRender,
  );
  model.start();
  scheduleRender();
}

function scheduleRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render(false);
  });
}

/** Redraws the parts whose data changed; `force` redraws everything (after a UI choice). */
function render(force: boolean): void {
  if (!model) return;
  const s = model.current();
  const last = lastRendered;
  const dataChanged = force || !last || s.channels !== last.channels || s.offchain !== last.offchain || s.watched !== last.watched;
  mount(byId('status'), renderStatus(s));
  mount(byId('problems'), ...renderProblems(s, config.problems));
  if (dataChanged) {
    mount(byId('summary'), ...renderSummary(s));
    mount(byId('graph'), renderGraph(s));
    mount(
      byId('balances'),
      renderBalances(s, ui.balanceMode, (mode) => {
        ui.balanceMode = mode;
        render(true);
      }),
    );
    byId('offchain-panel').hidden = s.offchain.status === 'off';
    mount(byId('offchain'), renderOffchain(s, ui.selectedChannel));
    byId('costs-panel').hidden = s.offchain.status === 'off';
    mount(byId('costs'), renderCosts(s));
  }
  const closing = s.channels.some((c) => c.state === 'closing');
  if (dataChanged || closing) {
    mount(
      byId('channels'),
      renderChannels(s, ui.selectedChannel, (id) => {
        ui.selectedChannel = id;
        render(true);
      }),
    );
  }
  if (force || !last || s.blocks !== last.blocks) mount(byId('transactions'), renderTransactions(s, ui.openTransactions));
  lastRendered = s;
}

byId<HTMLFormElement>('settings').addEventListener('submit', (event) => {
  event.preventDefault();
  const params = new URLSearchParams();
  for (const id of ['rpc', 'contract', 'server', 'names', 'watch']) {
    const value = input(id).value.trim();
    if (value) params.set(id, value);
  }
  config = parseConfig('?' + params.toString());
  const token = input('token').value.trim();
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
  history.replaceState(null, '', configToSearch(config));
  fillForm();
  connect();
});

// Countdowns of closing channels tick even when no block comes.
setInterval(() => model && render(false), 1_000);

fillForm();
connect();
