import { BalanceHistory, sampleBlocks } from '../lib/balances';
import { ChannelBook, type ChannelTotals, type ChannelView, type OwedEntry } from '../lib/channels';
import { AddressBook } from '../lib/names';
import { ChainReader, type BlockSummary } from './chain-reader';
import { PaymentServerClient, type OffchainChannel, type ServerAccount } from './payment-server-client';
import type { ChannelOriginRecord } from '../lib/costs';

const BLOCKS_PER_BATCH = 10;
/** How many of the payment server's call windows are fetched (and drawn). */
export const OFFCHAIN_WINDOWS = 30;
/** How many channels' per-origin records are read for the cost view. */
const MAX_ORIGIN_CHANNELS = 50;

export interface LiveOptions {
  rpcUrl: string;
  contract: string | null;
  paymentServerUrl: string | null;
  paymentServerToken: string | null;
  names: [string, string][];
  watch: string[];
  pollMs?: number;
  /** How many recent blocks are loaded (with their transactions) on connect. */
  recentBlocks?: number;
  /** How many blocks back balances are charted, and with how many points at most. */
  balanceBlocks?: number;
  balancePoints?: number;
  maxWatched?: number;
}

export type ContractSource = 'url' | 'payment server' | 'events' | 'deployment';

export interface OffchainView {
  /** `needs-token`: a payment server is given but no token, so only its public /status is read. */
  status: 'off' | 'needs-token' | 'ok' | 'error';
  error: string | null;
  accounts: ServerAccount[];
  /** Length of the server's call windows (from /config). */
  windowSeconds: number;
  channels: Map<string, OffchainChannel>;
  /** Per channel, what its calls paid by origin (`GET /channels/:id/origins`). */
  origins: Map<string, ChannelOriginRecord[]>;
}

export interface Snapshot {
  phase: 'connecting' | 'live' | 'error';
  error: string | null;
  rpcUrl: string;
  chainId: bigint | null;
  head: number | null;
  headTimestamp: number | null;
  /** Wall-clock ms when the head was read, to extrapolate chain time between blocks. */
  headSeenAt: number | null;
  contract: string | null;
  contractSource: ContractSource | null;
  channels: ChannelView[];
  owed: OwedEntry[];
  totals: ChannelTotals;
  /** Newest first. */
  blocks: BlockSummary[];
  balances: BalanceHistory;
  watched: string[];
  names: AddressBook;
  offchain: OffchainView;
  updatedAt: number;
}

/**
 * Follows one node (and optionally one payment server) by polling: each tick reads the head and, when it
 * moved, fetches only the new blocks, the new contract logs and one balance sample per watched address.
 */
export class LiveModel {
  private readonly pollMs: number;
  private readonly recentBlocks: number;
  private readonly balanceBlocks: number;
  private readonly balancePoints: number;
  private readonly maxWatched: number;
  private reader: ChainReader | null = null;
  private readonly server: PaymentServerClient | null;
  private readonly book = new ChannelBook();
  private readonly balances = new BalanceHistory();
  private readonly names = new AddressBook();
  private blocks: BlockSummary[] = [];
  private logCursor = 0;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private tickCount = 0;
  private snapshot: Snapshot;

  constructor(
    private readonly opts: LiveOptions,
    private readonly onUpdate: (snapshot: Snapshot) => void,
  ) {
    this.pollMs = opts.pollMs ?? 1_000;
    this.recentBlocks = opts.recentBlocks ?? 100;
    this.balanceBlocks = opts.balanceBlocks ?? 300;
    this.balancePoints = opts.balancePoints ?? 60;
    this.maxWatched = opts.maxWatched ?? 8;
    this.server = opts.paymentServerUrl ? new PaymentServerClient(opts.paymentServerUrl, opts.paymentServerToken) : null;
    for (const [address, name] of opts.names) this.names.set(address, name);
    this.snapshot = {
      phase: 'connecting',
      error: null,
      rpcUrl: opts.rpcUrl,
      chainId: null,
      head: null,
      headTimestamp: null,
      headSeenAt: null,
      contract: opts.contract,
      contractSource: opts.contract ? 'url' : null,
      channels: [],
      owed: [],
      totals: this.book.totals(),
      blocks: [],
      balances: this.balances,
      watched: [],
      names: this.names,
      offchain: {
        status: !this.server ? 'off' : opts.paymentServerToken ? 'ok' : 'needs-token',
        error: null,
        accounts: [],
        windowSeconds: 60,
        channels: new Map(),
        origins: new Map(),
      },
      updatedAt: Date.now(),
    };
  }

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.reader?.destroy();
  }

  current(): Snapshot {
    return this.snapshot;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        await this.tick();
        failures = 0;
      } catch (err) {
        failures++;
        this.publish({ phase: 'error', error: err instanceof Error ? err.message : String(err) });
      }
      if (this.stopped) break;
      // Back off up to 10 s while the node is down, then keep trying.
      const delay = Math.min(10_000, this.pollMs * 2 ** Math.min(failures, 4));
      await new Promise<void>((resolve) => (this.timer = setTimeout(resolve, delay)));
    }
  }

  /** One poll. Public so that tests can step the model without timers. */
  async tick(): Promise<void> {
    this.tickCount++;
    if (!this.reader) {
      this.reader = await ChainReader.connect(this.opts.rpcUrl);
      this.publish({ chainId: this.reader.chainId });
      if (this.server && this.opts.paymentServerToken) await this.loadServerNames();
    }
    const reader = this.reader;
    const head = await reader.blockNumber();
    const previousHead = this.snapshot.head;

    if (previousHead === null || head > previousHead) {
      await this.loadBlocks(reader, previousHead, head);
      if (!this.snapshot.contract) await this.discoverContract(reader, head);
      const contract = this.snapshot.contract;
      if (contract && head >= this.logCursor) {
        this.book.apply(await reader.channelEvents(contract, this.logCursor, head));
        this.logCursor = head + 1;
      }
      await this.sampleBalances(reader, head);
      const newest = this.blocks[0];
      this.publish({
        head,
        headTimestamp: newest?.number === head ? newest.timestamp : this.snapshot.headTimestamp,
        headSeenAt: Date.now(),
        channels: this.book.channels(),
        owed: this.book.owed(),
        totals: this.book.totals(),
        blocks: this.blocks,
      });
    } else if (head < previousHead) {
      // The node was restarted or reorganised below what we showed: start over from scratch.
      throw new Error(`the node's head went back from ${previousHead} to ${head}; reload the page`);
    }

    // Vouchers move without blocks, so the server is asked every other tick, and at once after a new block.
    const headMoved = previousHead !== null && head > previousHead;
    if (this.server && this.opts.paymentServerToken && (headMoved || this.tickCount % 2 === 1)) await this.refreshOffchain();
    this.publish({ phase: 'live', error: null });
  }

  private async loadBlocks(reader: ChainReader, previousHead: number | null, head: number): Promise<void> {
    const from = Math.max(0, previousHead === null ? head - this.recentBlocks + 1 : previousHead + 1, head - this.recentBlocks + 1);
    const fetched: BlockSummary[] = [];
    // A few blocks at a time: ethers batches the concurrent requests into one HTTP round trip.
    for (let top = head; top >= from; top -= BLOCKS_PER_BATCH) {
      const numbers = [];
      for (let n = top; n > top - BLOCKS_PER_BATCH && n >= from; n--) numbers.push(n);
      for (const block of await Promise.all(numbers.map((n) => reader.block(n)))) if (block) fetched.push(block);
    }
    this.blocks = [...fetched, ...this.blocks].slice(0, this.recentBlocks);
  }

  private async discoverContract(reader: ChainReader, head: number): Promise<void> {
    let contract: string | null = null;
    let source: ContractSource | null = null;
    if (this.server) {
      try {
        contract = (await this.server.status()).contract;
        source = 'payment server';
      } catch {
        /* fall back to the chain */
      }
    }
    if (!contract) {
      contract = await reader.findChannelsContract(0, head);
      source = 'events';
    }
    if (!contract) {
      const deployment = this.blocks.flatMap((b) => b.txs).find((t) => t.deploysPaymentChannels);
      contract = deployment?.createdContract ?? null;
      source = 'deployment';
    }
    if (contract) {
      this.names.set(contract, 'PaymentChannels');
      this.publish({ contract, contractSource: source });
    }
  }

  private watchedAddresses(): string[] {
    if (this.opts.watch.length) return this.opts.watch.slice(0, this.maxWatched);
    const parties = this.book.channels().flatMap((c) => [c.consumer, c.provider]);
    const contract = this.snapshot.contract ? [this.snapshot.contract] : [];
    return [...new Set([...parties, ...contract])].slice(0, this.maxWatched);
  }

  private async sampleBalances(reader: ChainReader, head: number): Promise<void> {
    const watched = this.watchedAddresses();
    const from = Math.max(0, head - this.balanceBlocks + 1);
    await Promise.all(
      watched.map(async (address) => {
        // A newly watched address gets its history; one already watched just gets the new head.
        const known = this.balances.points(address).length > 0;
        const blocks = known ? [head] : sampleBlocks(from, head, this.balancePoints);
        const values = await Promise.all(blocks.map((b) => reader.balance(address, b)));
        blocks.forEach((b, i) => this.balances.add(address, b, values[i]!));
      }),
    );
    this.publish({ watched });
  }

  private async loadServerNames(): Promise<void> {
    try {
      const { accounts, statsWindowSeconds } = await this.server!.config();
      for (const account of accounts) {
        this.names.set(account.address, account.name);
        if (account.signer && account.signer !== account.address) this.names.set(account.signer, `${account.name} (signer)`);
      }
      this.publish({ offchain: { ...this.snapshot.offchain, accounts, windowSeconds: statsWindowSeconds } });
    } catch {
      /* refreshOffchain reports the error */
    }
  }

  private async refreshOffchain(): Promise<void> {
    try {
      const server = this.server!;
      const channels = await server.channels(OFFCHAIN_WINDOWS);
      // The cost view's records, of the most recently used channels (one request each).
      const recent = [...channels].sort((a, b) => (b.latestVoucher?.receivedAt ?? 0) - (a.latestVoucher?.receivedAt ?? 0));
      const origins = await Promise.all(
        recent.slice(0, MAX_ORIGIN_CHANNELS).map(async (c) => [c.id, await server.channelOrigins(c.id)] as const),
      );
      this.publish({
        offchain: {
          ...this.snapshot.offchain,
          status: 'ok',
          error: null,
          channels: new Map(channels.map((c) => [c.id, c])),
          origins: new Map(origins),
        },
      });
    } catch (err) {
      this.publish({
        offchain: {
          ...this.snapshot.offchain,
          status: 'error',
          error: err instanceof Error ? err.message : String(err),
        },
      });
    }
  }

  private publish(patch: Partial<Snapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch, updatedAt: Date.now() };
    if (!this.stopped) this.onUpdate(this.snapshot);
  }
}
