/**
 * The environment variables of a payment server: where each goes in the configuration (config.ts validates the
 * result) and how its text is read. `loadConfig` reads exactly these, and `--help` lists them.
 */
export interface ConfigVariable {
  name: string;
  /** The configuration key it sets, e.g. ['claim', 'thresholdWei']. */
  path: readonly [string] | readonly [string, string];
  /** `text` as given, `integer` non-negative, `list` comma-separated; accounts and tokens have their own syntax. */
  kind: 'text' | 'integer' | 'list' | 'accounts' | 'tokens';
  help: string;
  /** Keys or tokens: may also be given as a file, in NAME_FILE (Docker secrets). */
  secret?: boolean;
}

export const CONFIG_FILE_VARIABLE = 'PS_CONFIG';

export const CONFIG_VARIABLES: readonly ConfigVariable[] = [
  { name: 'PS_HOST', path: ['host'], kind: 'text', help: 'address to listen on' },
  { name: 'PS_PORT', path: ['port'], kind: 'integer', help: 'port to listen on' },
  {
    name: 'PS_RPC_URL',
    path: ['rpcUrl'],
    kind: 'text',
    help: 'Ethereum JSON-RPC URL; without one a development chain runs in process (needs @chanpay/devkit)',
  },
  {
    name: 'PS_CONTRACT_ADDRESS',
    path: ['contractAddress'],
    kind: 'text',
    help: 'attach to this PaymentChannels contract; without one the server deploys it',
  },
  { name: 'PS_FROM_BLOCK', path: ['fromBlock'], kind: 'integer', help: "first block to scan for the contract's events" },
  { name: 'PS_DB_PATH', path: ['dbPath'], kind: 'text', help: 'SQLite database file' },
  {
    name: 'PS_DB_URL',
    path: ['dbUrl'],
    kind: 'text',
    help: 'postgres:// URL: keep the state in PostgreSQL (several replicas may share it) instead of PS_DB_PATH',
    secret: true,
  },
  {
    name: 'PS_DB_BATCH',
    path: ['dbBatch'],
    kind: 'text',
    help: 'on PostgreSQL: on commits the vouchers of concurrent calls together, off (default) one transaction each',
  },
  { name: 'PS_DB_SYNC', path: ['dbSync'], kind: 'text', help: 'normal survives a killed process, full also a power loss' },
  { name: 'PS_LOG_LEVEL', path: ['logLevel'], kind: 'text', help: 'fatal, error, warn, info, debug, trace or silent' },
  {
    name: 'PS_STATS_WINDOW_SECONDS',
    path: ['statsWindowSeconds'],
    kind: 'integer',
    help: 'length of the windows in which calls and amounts per channel are counted',
  },
  { name: 'PS_CORS_ORIGINS', path: ['corsOrigins'], kind: 'list', help: 'origins that may call the API from a browser, comma-separated' },
  { name: 'PS_CHAIN_PORT', path: ['embeddedChain', 'port'], kind: 'integer', help: 'port of the development chain (0: a free one)' },
  { name: 'PS_CHAIN_ID', path: ['embeddedChain', 'chainId'], kind: 'integer', help: 'chain id of the development chain' },
  {
    name: 'PS_CHALLENGE_PERIOD',
    path: ['defaults', 'challengePeriod'],
    kind: 'integer',
    help: 'challenge period (s) of a channel opened without one',
  },
  {
    name: 'PS_MIN_CHALLENGE_PERIOD',
    path: ['defaults', 'minChallengePeriod'],
    kind: 'integer',
    help: 'shortest challenge period (s) a channel may be opened with',
  },
  { name: 'PS_MIN_DEPOSIT', path: ['defaults', 'minDeposit'], kind: 'text', help: 'smallest deposit (wei) a channel may be opened with' },
  {
    name: 'PS_CLAIM_THRESHOLD_WEI',
    path: ['claim', 'thresholdWei'],
    kind: 'text',
    help: 'claim a channel once this much is unclaimed (0: no threshold)',
  },
  {
    name: 'PS_CLAIM_INTERVAL_SECONDS',
    path: ['claim', 'intervalSeconds'],
    kind: 'integer',
    help: 'claim what is unclaimed at least this often (0: never by time)',
  },
  { name: 'PS_WATCH_INTERVAL_MS', path: ['watcher', 'pollIntervalMs'], kind: 'integer', help: 'how often the chain is polled for events' },
  {
    name: 'PS_ACCOUNTS',
    path: ['accounts'],
    kind: 'accounts',
    help: 'name:0xkey[:0xvoucherKey],... the accounts this server holds the keys of (or PS_ACCOUNTS_FILE: a file holding it)',
    secret: true,
  },
  {
    name: 'PS_TOKENS',
    path: ['tokens'],
    kind: 'tokens',
    help: 'token:account[+account...],... bearer tokens (16+ characters) and the accounts each may use (or PS_TOKENS_FILE)',
    secret: true,
  },
];
