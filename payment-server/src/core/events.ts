import { EventEmitter } from 'node:events';
import type { WebhookEventType } from '@chanpay/protocol';

/** The event types, as the webhook API names them (one list, in the protocol). */
export type EventType = WebhookEventType;

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
