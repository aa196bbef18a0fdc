import { Wallet, type Contract, type JsonRpcProvider, type TransactionReceipt } from 'ethers';
import { termsTuple, type Address, type ChannelTerms } from '@chanpay/protocol';
import { VoucherHasher, channelIdOf } from '@chanpay/protocol/node';
import type { EmbeddedChain } from '@chanpay/devkit';
import { connect, type NODES } from './nodes';
import { deploy, revertOf, send, type DecodedRevert, type SendOptions } from './contracts';
import { makeTerms, signVoucher } from './vouchers';

export interface ChannelsFixture {
  chain: EmbeddedChain;
  rpc: JsonRpcProvider;
  chainId: bigint;
  channels: Contract;
  channelsAddress: Address;
  token: Contract;
  tokenAddress: Address;
  receiver: Contract;
  receiverAddress: Address;
  /** An ERC-20 that can be armed to re-enter the contract from inside a transfer. */
  hostileToken: Contract;
  hostileTokenAddress: Address;
  hasher: VoucherHasher;
  deployer: Wallet;
  consumer: Wallet;
  provider: Wallet;
  /** The consumer's hot voucher-signing key (terms.signer), distinct from the consumer account. */
  signer: Wallet;
  stranger: Wallet;
  /** Terms between consumer and provider with a fresh salt (ETH unless overridden). */
  terms(overrides?: Partial<ChannelTerms>): ChannelTerms;
  /** Opens a channel from terms.consumer's wallet (for a token it mints and approves `amount` first). */
  open(terms: ChannelTerms, amount: bigint, from?: Wallet): Promise<{ id: string; receipt: TransactionReceipt }>;
  /** A voucher signed by the fixture's signer key for this fixture's contract and chain. */
  voucher(id: string, amount: bigint, key?: Wallet): string;
  /** Sends a PaymentChannels transaction from `wallet` and returns the mined receipt. */
  tx(wallet: Wallet, method: string, args: readonly unknown[], opts?: SendOptions): Promise<TransactionReceipt>;
  /** Expects `action` to revert and decodes the error with the interfaces of every fixture contract. */
  revert(action: Promise<unknown>): Promise<DecodedRevert>;
  state(id: string): Promise<{ deposit: bigint; claimed: bigint; closesAt: bigint }>;
  /** ETH balance, or the test token's balance when `token` is given. */
  balance(address: string, token?: Contract): Promise<bigint>;
  stop(): Promise<void>;
}

/** Starts a node, deploys PaymentChannels, TestToken and RejectingReceiver, and names the parties. */
export async function startChannelsFixture(node: (typeof NODES)[number]): Promise<ChannelsFixture> {
  const chain = await node.start({ accounts: 6, balanceEth: 1000 });
  const rpc = connect(chain);
  const [deployer, consumer, provider, signer, stranger] = chain.accounts.map((a) => new Wallet(a.privateKey, rpc)) as [
    Wallet,
    Wallet,
    Wallet,
    Wallet,
    Wallet,
  ];
  const pc = await deploy(deployer, 'PaymentChannels');
  const tk = await deploy(deployer, 'TestToken');
  const rr = await deploy(deployer, 'RejectingReceiver');
  const ht = await deploy(deployer, 'ReentrantToken');
  const hasher = new VoucherHasher({ chainId: chain.chainId, contract: pc.address as Address });
  const wallets = new Map([consumer, provider, signer, stranger, deployer].map((w) => [w.address.toLowerCase(), w]));

  const fixture: ChannelsFixture = {
    chain,
    rpc,
    chainId: chain.chainId,
    channels: pc.contract,
    channelsAddress: pc.address as Address,
    token: tk.contract,
    tokenAddress: tk.address as Address,
    receiver: rr.contract,
    receiverAddress: rr.address as Address,
    hostileToken: ht.contract,
    hostileTokenAddress: ht.address as Address,
    hasher,
    deployer,
    consumer,
    provider,
    signer,
    stranger,
    terms: (overrides = {}) => makeTerms({ consumer: consumer.address, provider: provider.address, signer: signer.address }, overrides),
    async open(terms, amount, from) {
      const wallet = from ?? wallets.get(terms.consumer.toLowerCase());
      if (!wallet) throw new Error(`no wallet for consumer ${terms.consumer}`);
      const isEth = BigInt(terms.token) === 0n;
      if (!isEth) {
        const token = terms.token.toLowerCase() === ht.address ? ht.contract : tk.contract;
        await send(wallet, token, 'mint', [wallet.address, amount]);
        await send(wallet, token, 'approve', [pc.address, amount]);
      }
      const receipt = await send(wallet, pc.contract, 'open', [termsTuple(terms), amount], isEth ? { value: amount } : {});
      return { id: channelIdOf(terms), receipt };
    },
    voucher: (id, amount, key = signer) => signVoucher(hasher, id, amount, key.privateKey),
    tx: (wallet, method, args, opts) => send(wallet, pc.contract, method, args, opts),
    revert: (action) => revertOf(action, pc.contract.interface, tk.contract.interface, ht.contract.interface),
    async state(id) {
      const [deposit, claimed, closesAt] = (await pc.contract.getFunction('channel')(id)) as [bigint, bigint, bigint];
      return { deposit, claimed, closesAt };
    },
    balance: async (address, token) => (token ? ((await token.getFunction('balanceOf')(address)) as bigint) : rpc.getBalance(address)),
    stop: async () => {
      rpc.destroy();
      await chain.stop();
    },
  };
  return fixture;
}
