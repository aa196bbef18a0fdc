import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import type { JsonApi } from './http';
import { jsonRpc } from './processes';

/**
 * Columns that move on their own, without any request: webhook delivery bookkeeping (the dispatcher retries and
 * marks deliveries). Everything else a rejected request must leave exactly as it was.
 */
const VOLATILE_COLUMNS: Record<string, string[]> = {
  webhook_deliveries: ['attempts', 'next_at', 'status', 'last_error'],
};
/** Rows that move on their own: the watcher's cursor follows the chain head a poll after each block. */
const VOLATILE_ROWS: Record<string, string> = {
  meta: "key <> 'watcher.lastBlock'",
};

export interface StateProbe {
  api: JsonApi;
  /** Every bearer token of the server: the snapshot lists channels and webhooks as each of them sees it. */
  tokens: string[];
  dbPath: string;
  rpcUrl: string;
  /** Addresses whose balance and nonce belong to the state (the server's accounts, the contract, …). */
  addresses: string[];
}

export interface Snapshot {
  api: Record<string, unknown>;
  db: Record<string, { rows: number; digest: string }>;
  chain: Record<string, unknown>;
}

/**
 * All the state a request could change: what the API shows each token (channels, webhooks), every table of the
 * server's SQLite file (row counts and a digest of the contents), and on chain the block number, the balances and
 * nonces of the given addresses.
 */
export class StateSnapshotter {
  private db: Database.Database | undefined;

  constructor(private readonly probe: StateProbe) {}

  private open(): Database.Database {
    this.db ??= new Database(this.probe.dbPath, { readonly: true, fileMustExist: true });
    return this.db;
  }

  async take(): Promise<Snapshot> {
    const { api, tokens, rpcUrl, addresses } = this.probe;
    const [views, chain] = await Promise.all([
      Promise.all(
        tokens.map(async (t, i) => {
          const [channels, webhooks] = await Promise.all([api.call('GET', '/channels?windows=1000', t), api.call('GET', '/webhooks', t)]);
          return [`token${i}`, { channels: channels.body, webhooks: webhooks.body }] as const;
        }),
      ),
      Promise.all([
        jsonRpc<string>(rpcUrl, 'eth_blockNumber').then((b) => ['block', BigInt(b).toString()] as const),
        ...addresses.flatMap((a) => [
          jsonRpc<string>(rpcUrl, 'eth_getBalance', [a, 'latest']).then((b) => [`balance ${a}`, BigInt(b).toString()] as const),
          jsonRpc<string>(rpcUrl, 'eth_getTransactionCount', [a, 'latest']).then((n) => [`nonce ${a}`, BigInt(n).toString()] as const),
        ]),
      ]),
    ]);
    return { api: Object.fromEntries(views), db: this.dbState(), chain: Object.fromEntries(chain) };
  }

  private dbState(): Snapshot['db'] {
    const db = this.open();
    const tables = db
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .all();
    const out: Snapshot['db'] = {};
    for (const { name } of tables) {
      const cols = db
        .prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${name}')`)
        .all()
        .map((c) => c.name);
      const kept = cols.filter((c) => !(VOLATILE_COLUMNS[name] ?? []).includes(c));
      const where = VOLATILE_ROWS[name] ? ` WHERE ${VOLATILE_ROWS[name]}` : '';
      const rows = db
        .prepare(`SELECT ${kept.map((c) => `"${c}"`).join(', ')} FROM "${name}"${where} ORDER BY rowid`)
        .raw()
        .all();
      out[name] = { rows: rows.length, digest: createHash('sha256').update(JSON.stringify(rows)).digest('hex').slice(0, 16) };
    }
    return out;
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }
}

/** The paths at which two snapshots differ (empty when equal). */
export function diffSnapshots(a: unknown, b: unknown, path = ''): string[] {
  if (a === b) return [];
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) {
    return [`${path || '(root)'}: ${short(a)} -> ${short(b)}`];
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  const out: string[] = [];
  for (const k of keys)
    out.push(...diffSnapshots((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  return out;
}

function short(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 120 ? s.slice(0, 117) + '...' : s;
}

/**
 * Waits until the state stops moving (background jobs such as the claimer or the watcher may still be applying
 * the effects of an accepted request), then returns the settled snapshot.
 */
export async function settledSnapshot(s: StateSnapshotter, { quietMs = 300, timeoutMs = 10_000 } = {}): Promise<Snapshot> {
  const deadline = Date.now() + timeoutMs;
  let last = await s.take();
  for (;;) {
    await new Promise((r) => setTimeout(r, quietMs));
    const next = await s.take();
    if (diffSnapshots(last, next).length === 0) return next;
    if (Date.now() > deadline)
      throw new Error(`state still changing after ${timeoutMs} ms: ${diffSnapshots(last, next).slice(0, 5).join('; ')}`);
    last = next;
  }
}
