/**
 * Measures the gas of every PaymentChannels operation on ganache and prints a markdown table beside the
 * thesis prototype's figures: `npm run gas`. Exits non-zero if a target is missed.
 */
import { parseCommandLine } from '@chanpay/devkit/cli';
import type { TransactionReceipt } from 'ethers';
import { termsTuple, type Address, type ChannelTerms } from '@chanpay/protocol';
import { channelIdOf } from '@chanpay/protocol/node';
import { NODES } from '../test/helpers/nodes';
import { startChannelsFixture, type ChannelsFixture } from '../test/helpers/channels-fixture';
import { deploy, send } from '../test/helpers/contracts';
import { increaseTime } from '../test/helpers/time';
import { claimEntry } from '../test/helpers/vouchers';

interface Row {
  operation: string;
  gas: bigint;
  /** For batches: gas divided by the number of channels. */
  perChannel?: bigint;
  /** The gas (or per-channel gas) this row must not exceed. */
  target?: bigint;
  thesis?: string;
}

const DEPOSIT = 10n ** 16n;
const BATCH_SIZES = [1, 5, 10, 20] as const;
/** Batches this small spend most of their gas on the fixed transaction cost; the per-channel target is for 10+. */
const BATCH_TARGET_FROM = 10;

const COMMAND = {
  command: 'npm run gas --',
  summary:
    "The gas of every PaymentChannels operation on ganache, as a markdown table beside the thesis's figures;\nexits 1 if a target is missed.",
  options: {},
} as const;

async function main(): Promise<void> {
  parseCommandLine(COMMAND);
  const f = await startChannelsFixture(NODES.find((n) => n.name === 'ganache')!);
  try {
    const rows = await measure(f);
    console.log(table(rows));
    const batch = (n: number) => rows.find((r) => r.operation === `claimBatch, ${n} ETH channels`)!.gas;
    console.log(`\nmarginal cost of one more channel in a batch (20 vs 10): ${k((batch(20) - batch(10)) / 10n)} gas`);
    const missed = rows.filter((r) => r.target !== undefined && (r.perChannel ?? r.gas) > r.target);
    if (missed.length > 0) {
      console.log(`\nTARGET MISSED: ${missed.map((r) => r.operation).join('; ')}`);
      process.exitCode = 1;
    }
  } finally {
    await f.stop();
  }
}

async function measure(f: ChannelsFixture): Promise<Row[]> {
  const { consumer, provider } = f;
  const rows: Row[] = [];
  const gas = (r: TransactionReceipt) => r.gasUsed;
  const claim = (t: ChannelTerms, amount: bigint) => f.tx(provider, 'claim', [termsTuple(t), amount, f.voucher(channelIdOf(t), amount)]);

  rows.push({
    operation: 'deploy PaymentChannels (once, for all channels)',
    gas: (await deploy(f.deployer, 'PaymentChannels')).receipt.gasUsed,
    thesis: '1,116k per consumer-provider pair',
  });

  // The very first deposit of a token turns the contract's balance slot in the token from zero to non-zero.
  const firstToken = await openErc20(f, f.terms({ token: f.tokenAddress }));
  rows.push({
    operation: 'open with deposit, ETH',
    gas: gas((await f.open(f.terms(), DEPOSIT)).receipt),
    target: 80_000n,
    thesis: '1,116k deploy + 42.5k deposit',
  });
  const tokenOpen = await openErc20(f, f.terms({ token: f.tokenAddress }));
  rows.push({ operation: 'open with deposit, ERC-20', gas: tokenOpen.open, target: 80_000n });
  rows.push({ operation: '… ERC-20, first deposit of that token ever', gas: firstToken.open });
  rows.push({ operation: '… ERC-20 approve before it (token contract)', gas: tokenOpen.approve });

  const ethTerms = f.terms();
  await f.open(ethTerms, DEPOSIT);
  rows.push({
    operation: 'topUp, ETH',
    gas: gas(await f.tx(consumer, 'topUp', [termsTuple(ethTerms), DEPOSIT], { value: DEPOSIT })),
    thesis: '42.5k deposit',
  });
  const tokenTerms = f.terms({ token: f.tokenAddress });
  await openErc20(f, tokenTerms);
  await send(consumer, f.token, 'mint', [consumer.address, DEPOSIT]);
  await send(consumer, f.token, 'approve', [f.channelsAddress, DEPOSIT]);
  rows.push({ operation: 'topUp, ERC-20', gas: gas(await f.tx(consumer, 'topUp', [termsTuple(tokenTerms), DEPOSIT])) });

  rows.push({
    operation: 'claim, ETH',
    gas: gas(await claim(ethTerms, 1_000n)),
    target: 50_000n,
    thesis: '70.8k + 62.6k redeem, 21.4k payout: 154.8k',
  });
  rows.push({ operation: '… ETH, a later claim on the same channel', gas: gas(await claim(ethTerms, 2_000n)), target: 50_000n });
  rows.push({ operation: "claim, ERC-20, provider's first tokens ever", gas: gas(await claim(tokenTerms, 1_000n)) });
  rows.push({ operation: 'claim, ERC-20', gas: gas(await claim(tokenTerms, 2_000n)) });

  for (const n of BATCH_SIZES) {
    const entries = [];
    for (let i = 0; i < n; i++) {
      const t = f.terms();
      const { id } = await f.open(t, DEPOSIT);
      entries.push(claimEntry(t, 1_000n, f.voucher(id, 1_000n)));
    }
    const g = gas(await f.tx(provider, 'claimBatch', [entries]));
    rows.push({
      operation: `claimBatch, ${n} ETH channel${n > 1 ? 's' : ''}`,
      gas: g,
      perChannel: g / BigInt(n),
      target: n >= BATCH_TARGET_FROM ? 20_000n : undefined,
    });
  }
  {
    const entries = [];
    for (let i = 0; i < 10; i++) {
      const t = i < 5 ? f.terms() : f.terms({ token: f.tokenAddress });
      const { id } = i < 5 ? await f.open(t, DEPOSIT) : await openErc20(f, t);
      entries.push(claimEntry(t, 1_000n, f.voucher(id, 1_000n)));
    }
    const g = gas(await f.tx(provider, 'claimBatch', [entries]));
    rows.push({ operation: 'claimBatch, 10 channels: 5 ETH then 5 ERC-20', gas: g, perChannel: g / 10n });
  }

  const closing = f.terms();
  await f.open(closing, DEPOSIT);
  await claim(closing, 1_000n);
  rows.push({
    operation: 'startClose',
    gas: gas(await f.tx(consumer, 'startClose', [termsTuple(closing)])),
  });
  await increaseTime(f.rpc, closing.challengePeriod + 1);
  rows.push({
    operation: 'withdraw (refund after the challenge period)',
    gas: gas(await f.tx(consumer, 'withdraw', [termsTuple(closing)])),
  });

  const byProvider = f.terms();
  const { id: byProviderId } = await f.open(byProvider, DEPOSIT);
  await claim(byProvider, 1_000n);
  rows.push({
    operation: 'closeByProvider with a voucher',
    gas: gas(await f.tx(provider, 'closeByProvider', [termsTuple(byProvider), 3_000n, f.voucher(byProviderId, 3_000n)])),
  });
  const noVoucher = f.terms();
  await f.open(noVoucher, DEPOSIT);
  rows.push({
    operation: 'closeByProvider without a voucher',
    gas: gas(await f.tx(provider, 'closeByProvider', [termsTuple(noVoucher), 0n, '0x'])),
  });

  // A consumer contract that refuses ETH: its refund is deferred at settlement and pulled later.
  const refusing = f.terms({ consumer: f.receiverAddress as Address });
  await send(f.deployer, f.receiver, 'open', [f.channelsAddress, termsTuple(refusing)], { value: DEPOSIT });
  const deferred = await f.tx(provider, 'closeByProvider', [termsTuple(refusing), 0n, '0x']);
  rows.push({ operation: 'closeByProvider, consumer refund deferred', gas: gas(deferred) });
  await send(f.deployer, f.receiver, 'setAccept', [true]);
  rows.push({
    operation: 'withdrawOwed (via the consumer contract, +1 call)',
    gas: gas(await send(f.deployer, f.receiver, 'withdrawOwed', [f.channelsAddress])),
  });
  return rows;
}

async function openErc20(f: ChannelsFixture, terms: ChannelTerms) {
  await send(f.consumer, f.token, 'mint', [f.consumer.address, DEPOSIT]);
  const approve = await send(f.consumer, f.token, 'approve', [f.channelsAddress, DEPOSIT]);
  const open = await f.tx(f.consumer, 'open', [termsTuple(terms), DEPOSIT]);
  return { id: channelIdOf(terms), open: open.gasUsed, approve: approve.gasUsed };
}

const k = (g: bigint) => g.toLocaleString('en-US');

function table(rows: Row[]): string {
  const lines = rows.map((r) =>
    [
      r.operation,
      k(r.gas),
      r.perChannel !== undefined ? k(r.perChannel) : '',
      r.target !== undefined ? `≤ ${k(r.target)}${(r.perChannel ?? r.gas) > r.target ? ' **MISSED**' : ''}` : '',
      r.thesis ?? '',
    ].join(' | '),
  );
  return [
    '| operation | gas used | per channel | target | thesis prototype |',
    '|---|---:|---:|---|---|',
    ...lines.map((l) => `| ${l} |`),
  ].join('\n');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
