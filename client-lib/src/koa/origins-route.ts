import type { Middleware } from 'koa';
import { z } from 'zod';
import { ChanpayError, type ChannelOriginsResponse } from '@chanpay/protocol';
import type { OriginLedger } from '../origin/origin-ledger';

const OriginsQuery = z.strictObject({
  windows: z.coerce.number().int().min(0).max(1000).optional(),
  channel: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/)
    .transform((id) => id.toLowerCase())
    .optional(),
});

/**
 * `GET /origins[?channel=0x…][&windows=N]` of a service: what its provider was paid and what its consumers paid,
 * per channel, origin and window, as the payment server's `GET /channels/:id/origins` answers (the same schema),
 * from the service's own records (which count every served call, prepaid tickets too, in either mode).
 */
export function originsHandler(ledgers: () => readonly OriginLedger[]): Middleware {
  return (ctx) => {
    const q = OriginsQuery.safeParse(ctx.query);
    if (!q.success) throw new ChanpayError('VALIDATION_ERROR', 'origins takes channel (0x + 64 hex) and windows (0 to 1000)');
    ctx.body = {
      channels: ledgers().flatMap((l) => l.report({ channelId: q.data.channel, windows: q.data.windows })),
    } satisfies ChannelOriginsResponse;
  };
}
