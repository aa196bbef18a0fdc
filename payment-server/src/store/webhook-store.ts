export interface WebhookRow {
  id: string;
  owner: string;
  url: string;
  events: string;
  secret: string;
  created_at: number;
}

export interface DeliveryRow {
  id: number;
  webhook_id: string;
  body: string;
  attempts: number;
  url: string;
  secret: string;
}

/** Webhook subscriptions and their durable outbox. */
export interface WebhookStore {
  insert(row: WebhookRow): Promise<void>;
  list(owner: string): Promise<WebhookRow[]>;
  all(): Promise<WebhookRow[]>;
  /** Removes a subscription and fails its pending deliveries; false when the owner has no such subscription. */
  remove(owner: string, id: string): Promise<boolean>;
  /** Stores the deliveries of one event, all or none. */
  enqueue(deliveries: { webhookId: string; eventId: string; body: string }[], now: number): Promise<void>;
  due(now: number, limit: number): Promise<DeliveryRow[]>;
  delivered(id: number): Promise<void>;
  retry(id: number, attempts: number, nextAt: number, error: string, failed: boolean): Promise<void>;
}
