import type { ApiInput } from '@chanpay/protocol';
import type { ChannelRecord } from '../store/channel-store';

/** The filters of `GET /channels` (the API table's parsed query). */
export type ChannelFilter = Omit<ApiInput<'listChannels'>['query'], 'windows' | 'account'>;

/**
 * The channels of these accounts that pass the filter, newest first. Without a role, a channel counts when any
 * of the accounts is its consumer or its provider.
 */
export function selectChannels(records: readonly ChannelRecord[], addresses: ReadonlySet<string>, filter: ChannelFilter): ChannelRecord[] {
  return records
    .filter((r) => {
      const asConsumer = addresses.has(r.terms.consumer);
      const asProvider = addresses.has(r.terms.provider);
      if (filter.role === 'consumer' ? !asConsumer : filter.role === 'provider' ? !asProvider : !(asConsumer || asProvider)) return false;
      if (filter.state && r.state !== filter.state) return false;
      if (filter.provider && r.terms.provider !== filter.provider) return false;
      if (filter.consumer && r.terms.consumer !== filter.consumer) return false;
      return true;
    })
    .sort((a, b) => b.openedBlock - a.openedBlock);
}
