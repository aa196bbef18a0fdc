import type { ChannelRecord } from '../store/channel-store';
import type { Party, Role } from './access';

/** The latest voucher this server holds for one side of a channel. */
export interface HeldVoucher {
  amount: bigint;
  signature: string;
  /** When it was accepted (provider side) or signed (consumer side). */
  at: number | null;
}

/** Whose vouchers a principal sees: a consumer those signed here; a provider, both parties or an outsider those accepted. */
export function sideOf(role: Role | null): Party {
  return role === 'consumer' ? 'consumer' : 'provider';
}

export function latestHeldVoucher(rec: ChannelRecord, side: Party): HeldVoucher | null {
  if (side === 'provider')
    return rec.acceptedSignature ? { amount: rec.acceptedAmount, signature: rec.acceptedSignature, at: rec.acceptedAt } : null;
  return rec.signedSignature ? { amount: rec.signedAmount, signature: rec.signedSignature, at: rec.signedAt } : null;
}
