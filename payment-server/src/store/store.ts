import type { ChannelStore } from './channel-store';
import type { Coordination } from './coordination';
import type { MetaStore } from './meta-store';
import type { WebhookStore } from './webhook-store';
import type { OriginRecords } from '../origins/origin-records';

/** The payment server's state, one part per concern; SQLite (one process) or PostgreSQL (several). */
export interface Store {
  kind: 'sqlite' | 'postgres';
  /** Where the data is, for messages (a file, or the URL without its password). */
  where: string;
  channels: ChannelStore;
  meta: MetaStore;
  webhooks: WebhookStore;
  /** Calls and amounts per channel, origin and window (statistics beside the books). */
  origins: OriginRecords;
  coordination: Coordination;
  close(): Promise<void>;
}
