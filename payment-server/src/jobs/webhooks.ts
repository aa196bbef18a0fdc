import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { DeliveryRow, WebhookRow, WebhookStore } from '../store/webhook-store';
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

/**
 * Webhook subscriptions and a durable outbox: an event becomes one stored delivery per matching subscription in
 * the same process step, and the dispatcher POSTs due deliveries, retrying with exponential backoff.
 */
export class Webhooks {
  constructor(
    private readonly store: WebhookStore,
    private readonly accountsOf: (owner: string) => string[],
    private readonly opts: { timeoutMs: number; maxAttempts: number },
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {}

  async create(owner: string, url: string, events: EventType[], secret?: string): Promise<Webhook> {
    const hook: Webhook = {
      id: randomUUID(),
      owner,
      url,
      events,
      secret: secret ?? randomBytes(24).toString('base64url'),
      createdAt: Math.floor(Date.now() / 1000),
    };
    await this.store.insert({ id: hook.id, owner, url, events: JSON.stringify(events), secret: hook.secret, created_at: hook.createdAt });
    return hook;
  }

  async list(owner: string): Promise<Webhook[]> {
    return (await this.store.list(owner)).map((r: WebhookRow) => ({
      id: r.id,
      owner: r.owner,
      url: r.url,
      events: JSON.parse(r.events) as EventType[],
      secret: r.secret,
      createdAt: r.created_at,
    }));
  }

  remove(owner: string, id: string): Promise<boolean> {
    return this.store.remove(owner, id);
  }

  /** Stores a delivery for every subscription that wants this event and whose token may see the channel. */
  async enqueue(event: ChannelEvent): Promise<void> {
    const hooks = await this.store.all();
    if (hooks.length === 0) return;
    const now = Date.now();
    const eventId = randomUUID();
    const body = JSON.stringify({
      id: eventId,
      type: event.type,
      createdAt: Math.floor(now / 1000),
      data: { channelId: event.channelId, ...event.data },
    });
    const deliveries = hooks
      .filter((h) => (JSON.parse(h.events) as string[]).includes(event.type))
      .filter((h) => {
        const visible = this.accountsOf(h.owner);
        return event.parties.some((p) => visible.includes(p));
      })
      .map((h) => ({ webhookId: h.id, eventId, body }));
    if (deliveries.length > 0) await this.store.enqueue(deliveries, now);
  }

  /** Sends every due delivery once; failures are rescheduled. */
  async dispatch(): Promise<void> {
    const due = await this.store.due(Date.now(), 100);
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
        await this.store.delivered(d.id);
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
    await this.store.retry(d.id, attempts, Date.now() + delay, error ?? 'unknown', failed);
    this.metrics.webhookDeliveries.inc({ result: failed ? 'failed' : 'retry' });
    this.log.warn(
      { webhook: d.webhook_id, attempts, error },
      failed ? 'webhook delivery failed for good' : 'webhook delivery failed; will retry',
    );
  }
}
