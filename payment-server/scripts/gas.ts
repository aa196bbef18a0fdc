/**
 * Measures the gas of every PaymentChannels operation on ganache and prints it beside the thesis prototype's
 * figures: `npm run gas`.
 */
import { Wallet, type TransactionReceipt } from 'ethers';
import { termsTuple, type Address, type ChannelTerms } from '@chanpay/client-lib';
import { NODES } from '../test/helpers/nodes';
import { startChannelsFixture, type ChannelsFixture } from '../test/helpers/channels-fixture';
import { send } from '../test/helpers/contracts';
import { increaseTime } from '../test/helpers/time';
import { claimEntry } from '../test/helpers/vouchers';

interface Row {
  operation: string;
  gas: bigint;
  perChannel?: bigint;
  thesis?: string;
  target?: { max: bigint; of: 'gas' | 'perChannel' };
}

const ETHER = 10n ** 18n;
const DEPOSIT = ETHER / 100n;

async function main(): Promise<void> {
  const node = NODES.find((n) => n.name === 'ganache')!;
  const f = await startChannelsFixture(node);
  try {
    const rows = await measure(f);
    print(rows);
    const missed = rows.filter((r) => r.target && (r.target.of === 'gas' ? r.gas : r.perChannel!) > r.target.max);
    if (missed.length > 0) {
      console.log(`\nTARGET MISSED: ${missed.map((r) => r.operation).join(', ')}`);
      process.exitCode = 1;
    }
  } finally {
    await f.stop();
  }
}

async function measure(f: ChannelsFixture): Promise<Row[]> {
  const { channels, token, consumer, provider } = f;
  const rows: Row[] = [];
  const gas = (r: TransactionReceipt) => r.gasUsed;
  const eth = () => f.terms();
  const erc20 = () => f.terms({ token: f.tokenAddress });

  rows.push({ operation: 'deploy PaymentChannels (once, for every channel)', gas: await deployGas(f), thesis: '1,116k per pair' });

  // ERC-20: the first token deposit ever makes the contract's token balance non-zero (a fresh slot); later ones do not.
  const first = await openErc20(f, erc20(), DEPOSIT);
  const ethOpen = await f.open(eth(), DEPOSIT);
  rows.push({ operation: 'open with deposit, ETH', gas: gas(ethOpen.receipt), thesis: '1,116k deploy + 42.5k deposit', target: { max: 80_000n, of: 'gas' } });
  const tokenOpen = await openErc20(f, erc20(), DEPOSIT);
  rows.push({ operation: 'open with deposit, ERC-20', gas: tokenOpen.open, thesis: '(ETH only)', target: { max: 80_000n, of: 'gas' } });
  rows.push({ operation: '  ERC-20, first deposit of that token into the contract', gas: first.open });
  rows.push({ operation: '  ERC-20 approve before it (token contract, not ours)', gas: tokenOpen.approve });

  const ethTerms = eth();
  const { id: ethId } = await f.open(ethTerms, DEPOSIT);
  rows.push({ operation: 'top-up, ETH', gas: gas(await send(consumer, channels, 'topUp', [termsTuple(ethTerms), DEPOSIT], { value: DEPOSIT })), thesis: '42.5k (deposit)' });
  const tokenTerms = erc20();
  await openErc20(f, tokenTerms, DEPOSIT);
  await send(consumer, token, 'mint', [consumer.address, DEPOSIT]);
  await send(consumer, token, 'approve', [f.channelsAddress, DEPOSIT]);
  rows.push({ operation: 'top-up, ERC-20', gas: gas(await send(consumer, channels, 'topUp', [termsTuple(tokenTerms), DEPOSIT])) });

  const claim1 = await send(provider, channels, 'claim', [termsTuple(ethTerms), 1000n, f.voucher(ethId, 1000n)]);
  rows.push({ operation: 'claim, ETH (first claim of the channel)', gas: gas(claim1), thesis: '70.8k + 62.6k + 21.4k', target: { max: 50_000n, of: 'gas' } });
  const claim2 = await send(provider, channels, 'claim', [termsTuple(ethTerms), 2000n, f.voucher(ethId, 2000n)]);
  rows.push({ operation: 'claim, ETH (later claim)', gas: gas(claim2), target: { max: 50_000n, of: 'gas' } });
  const tokenId = (await import('@chanpay/client-lib')).channelIdOf(tokenTerms);
  const claimToken = await send(provider, channels, 'claim', [termsTuple(tokenTerms), 1000n, f.voucher(tokenId, 1000n)]);
  rows.push({ operation: 'claim, ERC-20', gas: gas(claimToken), target: { max: 50_000n, of: 'gas' } });

  for (const n of [1, 5, 10, 20]) {
    const entries = [];
    for (let i = 0; i < n; i++) {
      const t = eth();
      const { id } = await f.open(t, DEPOSIT);
      entries.push(claimEntry(t, 1000n, f.voucher(id, 1000n)));
    }
    const g = gas(await send(provider, channels, 'claimBatch', [entries]));
    rows.push({ operation: `batch claim, ${n} ETH channel${n > 1 ? 's' : ''}`, gas: g, perChannel: g / BigInt(n), target: { max: 20_000n, of: 'perChannel' } });
  }
  {
    const entries = [];
    for (let i = 0; i < 10; i++) {
      const t = i < 5 ? eth() : erc20();
      const { id } = i < 5 ? await f.open(t, DEPOSIT) : await openErc20(f, t, DEPOSIT);
      entries.push(claimEntry(t, 1000n, f.voucher(id, 1000n)));
    }
    const g = gas(await send(provider, channels, 'claimBatch', [entries]));
    rows.push({ operation: 'batch claim, 10 channels: 5 ETH then 5 ERC-20', gas: g, perChannel: g / 10n, target: { max: 20_000n, of: 'perChannel' } });
  }

  const closing = eth();
  const { id: closingId } = await f.open(closing, DEPOSIT);
  await send(provider, channels, 'claim', [termsTuple(closing), 1000n, f.voucher(closingId, 1000n)]);
  rows.push({ operation: 'startClose', gas: gas(await send(consumer, channels, 'startClose', [termsTuple(closing)])), thesis: '70.8k (start redemption)' });
  await increaseTime(f.rpc, closing.challengePeriod + 1);
  rows.push({ operation: 'withdraw (after the challenge period)', gas: gas(await send(consumer, channels, 'withdraw', [termsTuple(closing)])), thesis: '21.4k (payout)' });

  const byProvider = eth();
  const { id: byProviderId } = await f.open(byProvider, DEPOSIT);
  await send(provider, channels, 'claim', [termsTuple(byProvider), 1000n, f.voucher(byProviderId, 1000n)]);
  rows.push({
    operation: 'closeByProvider with a voucher',
    gas: gas(await send(provider, channels, 'closeByProvider', [termsTuple(byProvider), 3000n, f.voucher(byProviderId, 3000n)])),
    thesis: '62.6k + 21.4k (redeem + payout)',
  });
  const noVoucher = eth();
  await f.open(noVoucher, DEPOSIT);
  rows.push({ operation: 'closeByProvider without a voucher', gas: gas(await send(provider, channels, 'closeByProvider', [termsTuple(noVoucher), 0n, '0x'])) });

  rows.push(...(await withdrawOwedRows(f)));
  return rows;
}

async function deployGas(f: ChannelsFixture): Promise<bigint> {
  const { deploy } = await import('../test/helpers/contracts');
  return (await deploy(f.deployer, 'PaymentChannels')).receipt.gasUsed;
}

async function openErc20(f: ChannelsFixture, terms: ChannelTerms, amount: bigint) {
  await send(f.consumer, f.token, 'mint', [f.consumer.address, amount]);
  const approve = await send(f.consumer, f.token, 'approve', [f.channelsAddress, amount]);
  const receipt = await send(f.consumer, f.channels, 'open', [termsTuple(terms), amount]);
  const { channelIdOf } = await import('@chanpay/client-lib');
  return { id: channelIdOf(terms), open: receipt.gasUsed, approve: approve.gasUsed };
}

/** A consumer contract that refuses ETH: its refund is deferred at settlement and pulled later. */
async function withdrawOwedRows(f: ChannelsFixture): Promise<Row[]> {
  const terms = f.terms({ consumer: f.receiverAddress as Address });
  await send(f.deployer, f.receiver, 'open', [f.channelsAddress, termsTuple(terms)], { value: DEPOSIT });
  const close = await send(f.provider, f.channels, 'closeByProvider', [termsTuple(terms), 0n, '0x']);
  await send(f.deployer, f.receiver, 'setAccept', [true]);
  const pull = await send(f.deployer, f.receiver, 'withdrawOwed', [f.channelsAddress]);
  const wrapper = new Wallet(f.deployer.privateKey); // only to name the caller in the note
  void wrapper;
  return [
    { operation: 'closeByProvider, refund deferred (consumer refuses ETH)', gas: close.gasUsed },
    { operation: 'withdrawOwed (called through the consumer contract)', gas: pull.gasUsed, thesis: '21.4k (payout)' },
  ];
}

function print(rows: Row[]): void {
  const k = (g: bigint) => g.toLocaleString('en-US');
  const lines = [
    '| operation | gas used | per channel | target | thesis prototype |',
    '|---|---:|---:|---:|---|',
    ...rows.map((r) =>
      [
        r.operation,
        k(r.gas),
        r.perChannel !== undefined ? k(r.perChannel) : '',
        r.target ? `<= ${k(r.target.max)}${r.target.of === 'perChannel' ? ' /ch' : ''}` : '',
        r.thesis ?? '',
      ].join(' | '),
    ).map((l) => `| ${l} |`),
  ];
  console.log(lines.join('\n'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
