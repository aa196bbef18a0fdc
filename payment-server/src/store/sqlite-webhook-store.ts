import type { Db } from './db';
import type { DeliveryRow, WebhookRow, WebhookStore } from './webhook-store';

export class SqliteWebhookStore implements WebhookStore {
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      insert: db.prepare('INSERT INTO webhooks (id, owner, url, events, secret, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
      list: db.prepare<[string], WebhookRow>('SELECT * FROM webhooks WHERE owner = ? ORDER BY created_at'),
      all: db.prepare<[], WebhookRow>('SELECT * FROM webhooks'),
      del: db.prepare('DELETE FROM webhooks WHERE id = ? AND owner = ?'),
      enqueue: db.prepare("INSERT INTO webhook_deliveries (webhook_id, event_id, body, next_at, status) VALUES (?, ?, ?, ?, 'pending')"),
      due: db.prepare<
        [number, number],
        DeliveryRow
      >(`SELECT d.id, d.webhook_id, d.body, d.attempts, w.url, w.secret FROM webhook_deliveries d
        JOIN webhooks w ON w.id = d.webhook_id WHERE d.status = 'pending' AND d.next_at <= ? ORDER BY d.id LIMIT ?`),
      done: db.prepare("UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1 WHERE id = ?"),
      retry: db.prepare('UPDATE webhook_deliveries SET attempts = ?, next_at = ?, last_error = ?, status = ? WHERE id = ?'),
      orphans: db.prepare(
        "UPDATE webhook_deliveries SET status = 'failed', last_error = 'subscription removed' WHERE webhook_id = ? AND status = 'pending'",
      ),
    };
  }

  async insert(r: WebhookRow): Promise<void> {
    this.stmts.insert.run(r.id, r.owner, r.url, r.events, r.secret, r.created_at);
  }

  async list(owner: string): Promise<WebhookRow[]> {
    return this.stmts.list.all(owner);
  }

  async all(): Promise<WebhookRow[]> {
    return this.stmts.all.all();
  }

  async remove(owner: string, id: string): Promise<boolean> {
    const removed = this.stmts.del.run(id, owner).changes > 0;
    if (removed) this.stmts.orphans.run(id);
    return removed;
  }

  async enqueue(deliveries: { webhookId: string; eventId: string; body: string }[], now: number): Promise<void> {
    this.db.transaction(() => {
      for (const d of deliveries) this.stmts.enqueue.run(d.webhookId, d.eventId, d.body, now);
    })();
  }

  async due(now: number, limit: number): Promise<DeliveryRow[]> {
    return this.stmts.due.all(now, limit);
  }

  async delivered(id: number): Promise<void> {
    this.stmts.done.run(id);
  }

  async retry(id: number, attempts: number, nextAt: number, error: string, failed: boolean): Promise<void> {
    this.stmts.retry.run(attempts, nextAt, error, failed ? 'failed' : 'pending', id);
  }
}
