import type { ApiInput, ChannelOrigins } from '@chanpay/protocol';
import { roleOf, type Principal } from '../core/access';
import type { ChannelAccess } from '../core/access';
import type { OriginRecords, OriginRole } from './origin-records';

/** `GET /channels/:id/origins`: the channel's records by origin, once per role the principal has in it. */
export async function channelOrigins(
  access: ChannelAccess,
  origins: OriginRecords,
  principal: Principal,
  params: ApiInput<'channelOrigins'>['params'],
  query: ApiInput<'channelOrigins'>['query'],
): Promise<{ channels: ChannelOrigins[] }> {
  const { rec } = await access.channelFor(principal, params.id);
  const role = roleOf(principal, rec);
  const roles: OriginRole[] = role === 'both' ? ['consumer', 'provider'] : role ? [role] : [];
  const limit = query.windows ?? 60;
  return {
    channels: await Promise.all(
      roles.map(async (r) => ({
        channelId: rec.id,
        role: r,
        windowSeconds: origins.windowSeconds,
        windows: await origins.windows(r, rec.id, limit),
      })),
    ),
  };
}
