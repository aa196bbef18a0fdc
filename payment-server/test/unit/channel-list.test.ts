import { selectChannels } from '../../src/core/channel-list';
import { CONSUMER, OTHER, PROVIDER, channelRecord } from './records';

describe('selectChannels', () => {
  const toProvider = channelRecord({ openedBlock: 10 });
  const toOther = channelRecord({ openedBlock: 30, terms: { ...channelRecord().terms, provider: OTHER } });
  const fromOther = channelRecord({ openedBlock: 20, state: 'settled', terms: { ...channelRecord().terms, consumer: OTHER } });
  const strangers = channelRecord({
    openedBlock: 40,
    terms: { ...channelRecord().terms, consumer: OTHER, provider: '0x00000000000000000000000000000000000000e4' as never },
  });
  const all = [toProvider, toOther, fromOther, strangers];
  const ids = (rs: { id: string }[]) => rs.map((r) => r.id);

  test('without a role: every channel an account is consumer or provider of, newest first', () => {
    expect(ids(selectChannels(all, new Set([CONSUMER]), {}))).toEqual(ids([toOther, toProvider]));
    expect(ids(selectChannels(all, new Set([PROVIDER]), {}))).toEqual(ids([fromOther, toProvider]));
    expect(ids(selectChannels(all, new Set([CONSUMER, PROVIDER]), {}))).toEqual(ids([toOther, fromOther, toProvider]));
    expect(selectChannels(all, new Set(), {})).toEqual([]);
  });

  test('by role', () => {
    expect(ids(selectChannels(all, new Set([OTHER]), { role: 'consumer' }))).toEqual(ids([strangers, fromOther]));
    expect(ids(selectChannels(all, new Set([OTHER]), { role: 'provider' }))).toEqual(ids([toOther]));
  });

  test('by state, provider and consumer', () => {
    const mine = new Set([CONSUMER, PROVIDER]);
    expect(ids(selectChannels(all, mine, { state: 'settled' }))).toEqual(ids([fromOther]));
    expect(ids(selectChannels(all, mine, { state: 'open', provider: OTHER }))).toEqual(ids([toOther]));
    expect(ids(selectChannels(all, mine, { consumer: CONSUMER, provider: PROVIDER }))).toEqual(ids([toProvider]));
  });

  test('does not reorder the records it was given', () => {
    const before = ids(all);
    selectChannels(all, new Set([CONSUMER, PROVIDER, OTHER]), {});
    expect(ids(all)).toEqual(before);
  });
});
