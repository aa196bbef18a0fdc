import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { MetaStore } from './meta-store';
import { MIGRATIONS } from './migrations';

export type Db = Database.Database;

/**
 * Opens the SQLite store in WAL mode and applies pending migrations. With `synchronous = NORMAL` a committed
 * write survives a killed process (the WAL is in the OS page cache); `FULL` also survives power loss.
 */
export function openDb(file: string, sync: 'normal' | 'full' = 'normal'): Db {
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${sync === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

export function migrate(db: Db): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return MIGRATIONS.length;
}

export class Meta implements MetaStore {
  private readonly getStmt;
  private readonly setStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
    this.setStmt = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  }

  async get(key: string): Promise<string | undefined> {
    return this.getStmt.get(key)?.value;
  }

  async set(key: string, value: string): Promise<void> {
    this.setStmt.run(key, value);
  }
}
