import type { Accounts } from '../accounts';
import type { ChannelStore } from '../store/channel-store';
import type { EventBus, EventType } from './events';

/** Publishes a channel's events to the bus, addressed to the accounts of this server that are party to it. */
export class ChannelEvents {
  constructor(
    private readonly bus: EventBus,
    private readonly store: ChannelStore,
    private readonly accounts: Accounts,
  ) {}

  publish(type: EventType, channelId: string, data: Record<string, unknown>): void {
    const rec = this.store.get(channelId);
    const parties = rec ? [rec.terms.consumer, rec.terms.provider].filter((a) => this.accounts.byAddr(a)) : [];
    this.bus.emit({ type, channelId, parties, data });
  }
}
