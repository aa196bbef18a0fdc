import type { Accounts } from '../accounts';
import type { ChannelRecord } from '../store/channel-store';
import type { EventBus, EventType } from './events';

/** Publishes a channel's events to the bus, addressed to the accounts of this server that are party to it. */
export class ChannelEvents {
  constructor(
    private readonly bus: EventBus,
    private readonly accounts: Accounts,
  ) {}

  publish(type: EventType, rec: ChannelRecord, data: Record<string, unknown>): void {
    const parties = [rec.terms.consumer, rec.terms.provider].filter((a) => this.accounts.byAddr(a));
    this.bus.emit({ type, channelId: rec.id, parties, data });
  }
}
