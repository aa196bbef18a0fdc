import { formatNames, isAddress, parseNames } from './names';

export const DEFAULT_RPC_URL = 'http://127.0.0.1:8545';

/** What the page shows, as given in the URL. The payment server's token is never part of it. */
export interface ViewConfig {
  rpcUrl: string;
  /** The PaymentChannels address; null means: ask the payment server, else look for its deployment. */
  contract: string | null;
  paymentServerUrl: string | null;
  names: [string, string][];
  /** Addresses whose balances are charted; empty means the parties of the channels found. */
  watch: string[];
  problems: string[];
}

/** Reads the config from the query string, with the hash (`#rpc=…`) taking precedence. */
export function parseConfig(search: string, hash = ''): ViewConfig {
  const params = new URLSearchParams(search.replace(/^\?/, ''));
  for (const [key, value] of new URLSearchParams(hash.replace(/^#/, ''))) params.set(key, value);
  const problems: string[] = [];

  const rpcUrl = params.get('rpc')?.trim() || DEFAULT_RPC_URL;
  if (!isHttpUrl(rpcUrl)) problems.push(`rpc is not an http(s) URL: ${rpcUrl}`);

  let contract = params.get('contract')?.trim() || null;
  if (contract && !isAddress(contract)) {
    problems.push(`contract is not an address: ${contract}`);
    contract = null;
  }

  let paymentServerUrl = params.get('server')?.trim().replace(/\/+$/, '') || null;
  if (paymentServerUrl && !isHttpUrl(paymentServerUrl)) {
    problems.push(`server is not an http(s) URL: ${paymentServerUrl}`);
    paymentServerUrl = null;
  }

  const { names, invalid } = parseNames(params.get('names') ?? '');
  for (const entry of invalid) problems.push(`names entry is not address:name: ${entry}`);

  const watch: string[] = [];
  for (const entry of (params.get('watch') ?? '').split(',')) {
    const address = entry.trim();
    if (!address) continue;
    if (isAddress(address)) watch.push(address.toLowerCase());
    else problems.push(`watch entry is not an address: ${address}`);
  }

  return { rpcUrl, contract: contract?.toLowerCase() ?? null, paymentServerUrl, names, watch, problems };
}

/** The query string for a config, so that the page's URL can be shared. */
export function configToSearch(config: Omit<ViewConfig, 'problems'>): string {
  const params = new URLSearchParams();
  params.set('rpc', config.rpcUrl);
  if (config.contract) params.set('contract', config.contract);
  if (config.paymentServerUrl) params.set('server', config.paymentServerUrl);
  if (config.names.length) params.set('names', formatNames(config.names));
  if (config.watch.length) params.set('watch', config.watch.join(','));
  return '?' + params.toString();
}

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
