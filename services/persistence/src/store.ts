import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/** The numbers the persistence service saves, in a real SQLite file. */
export class NumberStore {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement<[number, string | null, number]>;
  private readonly byKey: Database.Statement<[string]>;
  private readonly countAll: Database.Statement<[]>;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS numbers (
      id INTEGER PRIMARY KEY,
      value REAL NOT NULL,
      idempotency_key TEXT UNIQUE,
      created_at INTEGER NOT NULL
    )`);
    this.insert = this.db.prepare('INSERT OR IGNORE INTO numbers (value, idempotency_key, created_at) VALUES (?, ?, ?)');
    this.byKey = this.db.prepare('SELECT id FROM numbers WHERE idempotency_key = ?');
    this.countAll = this.db.prepare('SELECT COUNT(*) AS n FROM numbers');
  }

  /** Saves a number; with a key, a second save under the same key stores nothing and returns the first row id. */
  save(value: number, idempotencyKey: string | null): { id: number; created: boolean } {
    const r = this.insert.run(value, idempotencyKey, Date.now());
    if (r.changes === 1) return { id: Number(r.lastInsertRowid), created: true };
    const row = this.byKey.get(idempotencyKey!) as { id: number };
    return { id: row.id, created: false };
  }

  count(): number {
    return (this.countAll.get() as { n: number }).n;
  }

  close(): void {
    this.db.close();
  }
}
