import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import Database from 'better-sqlite3';
import { migrate, openDb } from '../../src/store/db';
import { MIGRATIONS } from '../../src/store/migrations';

const tables = (db: Database.Database) =>
  db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .all()
    .map((t) => t.name);

describe('schema migrations', () => {
  test('a new database gets the whole schema, without the transactions table', () => {
    const db = openDb(':memory:');
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(tables(db)).toEqual(expect.arrayContaining(['channels', 'idempotency', 'meta', 'webhook_deliveries', 'webhooks', 'windows']));
    expect(tables(db)).not.toContain('transactions');
    db.close();
  });

  test('a database of the first schema keeps its channels and loses only the transactions table', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'chanpay-migrate-')), 'ps.db');
    const old = new Database(file);
    old.exec(MIGRATIONS[0]!);
    old.pragma('user_version = 1');
    old
      .prepare(`INSERT INTO channels (id, consumer, provider, signer, token, challenge_period, salt, deposit, claimed, state, opened_block)
      VALUES ('0x01', '0xc', '0xp', '0xc', '0x0', 600, '0x00', '1000', '0', 'open', 7)`)
      .run();
    old
      .prepare(
        `INSERT INTO transactions (hash, kind, account, channel_ids, status, gas_used, created_at) VALUES ('0xh', 'open', '0xc', '[]', 'success', '1', 1)`,
      )
      .run();
    old.close();

    const db = openDb(file);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(tables(db)).not.toContain('transactions');
    expect(db.prepare('SELECT id, deposit, opened_block FROM channels').all()).toEqual([{ id: '0x01', deposit: '1000', opened_block: 7 }]);
    expect(migrate(db)).toBe(MIGRATIONS.length); // nothing left to apply
    db.close();
  });
});
