import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { Db } from '../store/db';
import type { ChannelEvent, EventType } from '../core/events';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';

export interface Webhook {
  id: string;
  owner: string;
  url: string;
  events: EventType[];
  secret: string;
  createdAt: number;
}

interface DeliveryRow {
  id: number;
  webhook_id: string;
  body: string;
  attempts: number;
  url: string;
  secret: string;
}

/**
 * Webhook subscriptions and a durable outbox: an event becomes one stored delivery per matching subscription in
 * the same process step, and the dispatcher POSTs due deliveries, retrying with exponential backoff.
 */
export class Webhooks {
  private readonly stmts;

  constructor(
    private readonly db: Db,
    private readonly accountsOf: (owner: string) => string[],
    private readonly opts: { timeoutMs: number; maxAttempts: number },
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {
    this.stmts = {
      insert: db.prepare('INSERT INTO webhooks (id, owner, url, events, secret, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
      list: db.prepare<[string], { id: string; owner: string; url: string; events: string; secret: string; created_at: number }>(
        'SELECT * FROM webhooks WHERE owner = ? ORDER BY created_at',
      ),
      all: db.prepare<[], { id: string; owner: string; url: string; events: string; secret: string; created_at: number }>(
        'SELECT * FROM webhooks',
      ),
      del: db.prepare('DELETE FROM webhooks WHERE id = ? AND owner = ?'),
      enqueue: db.prepare("INSERT INTO webhook_deliveries (webhook_id, event_id, body, next_at, status) VALUES (?, ?, ?, ?, 'pending')"),
      due: db.prepare<[number], DeliveryRow>(`SELECT d.id, d.webhook_id, d.body, d.attempts, w.url, w.secret FROM webhook_deliveries d
        JOIN webhooks w ON w.id = d.webhook_id WHERE d.status = 'pending' AND d.next_at <= ? ORDER BY d.id LIMIT 100`),
      done: db.prepare("UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1 WHERE id = ?"),
      retry: db.prepare('UPDATE webhook_deliveries SET attempts = ?, next_at = ?, last_error = ?, status = ? WHERE id = ?'),
      orphans: db.prepare(
        "UPDATE webhook_deliveries SET status = 'failed', last_error = 'subscription removed' WHERE webhook_id = ? AND status = 'pending'",
      ),
    };
  }

  create(owner: string, url: string, events: EventType[], secret?: string): Webhook {
    const hook: Webhook = {
      id: randomUUID(),
      owner,
      url,
      events,
      secret: secret ?? randomBytes(24).toString('base64url'),
      createdAt: Math.floor(Date.now() / 1000),
    };
    this.stmts.insert.run(hook.id, owner, url, JSON.stringify(events), hook.secret, hook.createdAt);
    return hook;
  }

  list(owner: string): Webhook[] {
    return this.stmts.list.all(owner).map((r) => ({
      id: r.id,
      owner: r.owner,
      url: r.url,
      events: JSON.parse(r.events) as EventType[],
      secret: r.secret,
      createdAt: r.created_at,
    }));
  }

  remove(owner: string, id: string): boolean {
    const removed = this.stmts.del.run(id, owner).changes > 0;
    if (removed) this.stmts.orphans.run(id);
    return removed;
  }

  /** Stores a delivery for every subscription that wants this event and whose token may see the channel. */
  enqueue(event: ChannelEvent): void {
    const hooks = this.stmts.all.all();
    if (hooks.length === 0) return;
    const now = Date.now();
    const eventId = randomUUID();
    const body = JSON.stringify({
      id: eventId,
      type: event.type,
      createdAt: Math.floor(now / 1000),
      data: { channelId: event.channelId, ...event.data },
    });
    this.db.transaction(() => {
      for (const h of hooks) {
        if (!(JSON.parse(h.events) as string[]).includes(event.type)) continue;
        const visible = this.accountsOf(h.owner);
        if (!event.parties.some((p) => visible.includes(p))) continue;
        this.stmts.enqueue.run(h.id, eventId, body, now);
      }
    })();
  }

  /** Sends every due delivery once; failures are rescheduled. */
  async dispatch(): Promise<void> {
    const due = this.stmts.due.all(Date.now());
    await Promise.all(due.map((d) => this.deliver(d)));
  }

  private async deliver(d: DeliveryRow): Promise<void> {
    const signature = createHmac('sha256', d.secret).update(d.body).digest('hex');
    let error: string | undefined;
    try {
      const res = await fetch(d.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-chanpay-signature': `sha256=${signature}` },
        body: d.body,
        signal: AbortSignal.timeout(this.opts.timeoutMs),
        redirect: 'manual',
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) {
        this.stmts.done.run(d.id);
        this.metrics.webhookDeliveries.inc({ result: 'delivered' });
        return;
      }
      error = `HTTP ${res.status}`;
    } catch (e) {
      error = (e as Error).message;
    }
    const attempts = d.attempts + 1;
    const failed = attempts >= this.opts.maxAttempts;
    const delay = Math.min(1000 * 2 ** (attempts - 1), 600_000);
    this.stmts.retry.run(attempts, Date.now() + delay, error ?? 'unknown', failed ? 'failed' : 'pending', d.id);
    this.metrics.webhookDeliveries.inc({ result: failed ? 'failed' : 'retry' });
    this.log.warn(
      { webhook: d.webhook_id, attempts, error },
      failed ? 'webhook delivery failed for good' : 'webhook delivery failed; will retry',
    );
  }
}
