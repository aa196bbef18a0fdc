import { EventEmitter } from 'node:events';

export const EVENT_TYPES = [
  'channel.opened',
  'channel.topped_up',
  'channel.claimed',
  'channel.closing',
  'channel.settled',
  'voucher.accepted',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export interface ChannelEvent {
  type: EventType;
  channelId: string;
  /** Accounts of this server that are party to the channel (webhook owners see only their accounts' events). */
  parties: string[];
  data: Record<string, unknown>;
}

/** In-process fan-out of channel events to webhooks (and anything else that listens). */
export class EventBus {
  private readonly emitter = new EventEmitter();

  emit(event: ChannelEvent): void {
    this.emitter.emit('event', event);
  }

  on(listener: (event: ChannelEvent) => void): void {
    this.emitter.on('event', listener);
  }
}
