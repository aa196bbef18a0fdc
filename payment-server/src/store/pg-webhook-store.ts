import { inTransaction, type Pool } from './pg-db';
import type { DeliveryRow, WebhookRow, WebhookStore } from './webhook-store';

export class PgWebhookStore implements WebhookStore {
  constructor(private readonly pool: Pool) {}

  async insert(r: WebhookRow): Promise<void> {
    await this.pool.query('INSERT INTO webhooks (id, owner, url, events, secret, created_at) VALUES ($1, $2, $3, $4, $5, $6)', [
      r.id,
      r.owner,
      r.url,
      r.events,
      r.secret,
      r.created_at,
    ]);
  }

  async list(owner: string): Promise<WebhookRow[]> {
    return (await this.pool.query<WebhookRow>('SELECT * FROM webhooks WHERE owner = $1 ORDER BY created_at', [owner])).rows;
  }

  async all(): Promise<WebhookRow[]> {
    return (await this.pool.query<WebhookRow>('SELECT * FROM webhooks')).rows;
  }

  remove(owner: string, id: string): Promise<boolean> {
    return inTransaction(this.pool, async (c) => {
      const removed = ((await c.query('DELETE FROM webhooks WHERE id = $1 AND owner = $2', [id, owner])).rowCount ?? 0) > 0;
      if (removed) {
        await c.query(
          "UPDATE webhook_deliveries SET status = 'failed', last_error = 'subscription removed' WHERE webhook_id = $1 AND status = 'pending'",
          [id],
        );
      }
      return removed;
    });
  }

  async enqueue(deliveries: { webhookId: string; eventId: string; body: string }[], now: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO webhook_deliveries (webhook_id, event_id, body, next_at, status)
       SELECT w, e, b, $4, 'pending' FROM unnest($1::text[], $2::text[], $3::text[]) AS d (w, e, b)`,
      [deliveries.map((d) => d.webhookId), deliveries.map((d) => d.eventId), deliveries.map((d) => d.body), now],
    );
  }

  async due(now: number, limit: number): Promise<DeliveryRow[]> {
    return (
      await this.pool.query<DeliveryRow>(
        `SELECT d.id, d.webhook_id, d.body, d.attempts, w.url, w.secret FROM webhook_deliveries d
         JOIN webhooks w ON w.id = d.webhook_id WHERE d.status = 'pending' AND d.next_at <= $1 ORDER BY d.id LIMIT $2`,
        [now, limit],
      )
    ).rows;
  }

  async delivered(id: number): Promise<void> {
    await this.pool.query("UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1 WHERE id = $1", [id]);
  }

  async retry(id: number, attempts: number, nextAt: number, error: string, failed: boolean): Promise<void> {
    await this.pool.query('UPDATE webhook_deliveries SET attempts = $1, next_at = $2, last_error = $3, status = $4 WHERE id = $5', [
      attempts,
      nextAt,
      error,
      failed ? 'failed' : 'pending',
      id,
    ]);
  }
}
