/**
 * `npm run bench:memory`: what holding many channels costs in memory. A one-hop network (`chain:1`, prepaid
 * tickets) runs as processes on anvil; this process plays the paying service with one consumer per channel, so
 * that the provider's payment server holds N open channels, the paying team's payment server N more, and the
 * provider service N channels' prepaid ticket blocks. Each channel gets two calls: a voucher that prepays a
 * block, then a ticket of that block (which the provider must still hold to serve it). Prints the resident
 * memory of every process before and after (Linux /proc: VmRSS, and VmHWM for the peak) against the 200 MB
 * target of issue 17, and the heap each keeps after a full collection (scripts/bench/heap-probe.cjs), which
 * tells memory in use from heap the process has not given back; writes memory.json.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PaymentConsumer, receiptOf } from '@chanpay/client-lib';
import { parseCommandLine, type CommandSpec, type OptionSpecs } from '@chanpay/devkit/cli';
import { defaultNodeFlags, generate, startTopology, type RunningTopology } from '@chanpay/topology';
import { rpc } from './gas';

const TARGET_MB = 200;
/** Times one call is sent again after the provider answered 503 PAYMENT_SERVER_UNAVAILABLE (see the pool's job). */
const MAX_RETRIES = 30;

const COMMAND = {
  command: 'npm run bench:memory --',
  summary: [
    'Opens N channels to one provider (chain:1 with prepaid tickets, on anvil) and reports the resident memory',
    'of each payment server and service before and after, against the 200 MB target (docs/benchmarks.md).',
  ].join('\n'),
  options: {
    channels: { type: 'string', value: '<n>', default: '10000', description: 'channels to open and hold' },
    prepay: { type: 'string', value: '<calls>', default: '100', description: 'calls each voucher prepays (a ticket block per channel)' },
    concurrency: { type: 'string', value: '<c>', default: '16', description: 'channels opened at once' },
    hold: {
      type: 'string',
      value: '<seconds>',
      default: '0',
      description: 'keep the network up this long after the report (its pids printed), e.g. for scripts/bench/heap-top.cjs',
    },
    'node-flags': {
      type: 'string',
      value: '<flags>',
      description:
        "flags of every payment server's and service's node, V8's included, instead of the network's defaults (--node-flags='' for V8's own)",
    },
    out: { type: 'string', value: '<dir>', description: 'where memory.json goes (default bench-results/memory-<timestamp>)' },
    'no-heap': {
      type: 'boolean',
      description: 'RSS only: skip the heap each process keeps after a full collection (read through its inspector on 127.0.0.1:9229)',
    },
  },
} satisfies CommandSpec<OptionSpecs>;

interface Memory {
  rssMb: number;
  peakMb: number;
  /** CPU time the process has used (all its threads: V8's GC helpers included), from /proc/<pid>/stat. */
  cpuSeconds: number;
  /** Heap still used after a full garbage collection (heap-probe.cjs), or null when the probe failed. */
  heapMb: number | null;
  /** Memory outside the heap that JS objects hold (Buffers, native addons' objects) after that collection. */
  externalMb: number | null;
}

/** The heap a process keeps after a full collection, through its inspector (one process at a time: one port). */
function heapAfterGc(pid: number): { heapMb: number; externalMb: number } | null {
  const probe = spawnSync(process.execPath, [path.join(__dirname, 'heap-probe.cjs'), String(pid)], { encoding: 'utf8', timeout: 30_000 });
  if (probe.status !== 0) return null;
  const { usedBytes, externalBytes } = JSON.parse(probe.stdout) as { usedBytes: number; externalBytes: number };
  return { heapMb: usedBytes / 1024 / 1024, externalMb: externalBytes / 1024 / 1024 };
}

/** VmRSS and VmHWM of a Linux process, and its heap after a collection, in MB. */
function memoryOf(pid: number, heap: boolean): Memory {
  const kept = heap ? heapAfterGc(pid) : null;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  // utime and stime, fields 14 and 15, in clock ticks (100 per second on Linux); the command name may hold spaces.
  const [utime, stime] = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ').slice(11, 13).map(Number);
  return {
    rssMb: kb('VmRSS') / 1024,
    peakMb: kb('VmHWM') / 1024,
    cpuSeconds: (utime! + stime!) / 100,
    heapMb: kept?.heapMb ?? null,
    externalMb: kept?.externalMb ?? null,
  };
}

function memories(net: RunningTopology, heap: boolean): Record<string, Memory> {
  const out: Record<string, Memory> = {};
  for (const p of net.processes) if (p.child.pid && p.child.exitCode === null) out[p.name] = memoryOf(p.child.pid, heap);
  return out;
}

async function balanceOf(rpcUrl: string, address: string): Promise<bigint> {
  return BigInt(await rpc<string>(rpcUrl, 'eth_getBalance', [address, 'latest']));
}

async function pool<T>(count: number, concurrency: number, job: (i: number) => Promise<T>, onDone: (done: number) => void): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await job(i);
        onDone(++done);
      }
    }),
  );
  return results;
}

async function main(): Promise<void> {
  const { values, fail } = parseCommandLine(COMMAND);
  const channels = Number(values.channels);
  const prepay = Number(values.prepay);
  const concurrency = Number(values.concurrency);
  if (![channels, prepay, concurrency].every((n) => Number.isInteger(n) && n > 0))
    fail('--channels, --prepay and --concurrency are positive integers');
  if (!(Number(values.hold) >= 0)) fail('--hold is a number of seconds');
  if (prepay < 2) fail('--prepay must be at least 2: the second call of each channel is a ticket');
  const out = path.resolve(values.out ?? path.join('bench-results', `memory-${new Date().toISOString().replace(/[:.]/g, '-')}`));

  const nodeFlags = values['node-flags'] === undefined ? [...defaultNodeFlags()] : values['node-flags'].split(/\s+/).filter(Boolean);
  const input = generate(`chain:1,prepay=${prepay}`);
  // Enough ether for N deposits and their gas; anvil mines thousands of openings a minute where ganache would not.
  input.chain = { ...input.chain, kind: 'anvil', balanceEth: Math.max(1000, Math.ceil(channels * 0.01)) };
  console.log(
    `chanpay memory benchmark: ${channels} channels to one provider, ${prepay} calls prepaid per channel, ${concurrency} at once` +
      `, node ${nodeFlags.join(' ') || "(V8's defaults)"}`,
  );
  const net = await startTopology(input, {
    freePorts: true,
    init: false,
    claimIntervalSeconds: 0,
    nodeFlags,
    dataDir: path.join(tmpdir(), `chanpay-memory-${process.pid}`),
  });
  try {
    const payer = net.accountOfService('s0');
    if (!payer?.voucherKey) throw new Error('s0 has no account with a voucher key');
    const team = net.topology.services.find((s) => s.name === 's0')!.team;
    const paymentServer = net.urls.paymentServers[net.topology.teams.find((t) => t.name === team)!.paymentServer.name]!;
    const providerUrl = `${net.urls.services.s1}/work`;
    const before = memories(net, !values['no-heap']);
    const balanceBefore = await balanceOf(net.urls.chain!, payer.address);
    const t0 = Date.now();
    let lastShown = 0;
    let retries = 0;
    const consumers: PaymentConsumer[] = [];
    const served = await pool(
      channels,
      concurrency,
      async () => {
        const consumer = new PaymentConsumer({
          mode: 'local',
          paymentServer: { url: paymentServer, token: payer.token },
          voucherKey: payer.voucherKey!,
          deposit: 10n ** 15n,
          prepay,
          reuseChannels: false,
        });
        consumers.push(consumer);
        let signedAfterFirst = 0n;
        for (let call = 1; call <= 2; call++) {
          let res = await consumer.fetch(providerUrl);
          let body = await res.text();
          // The provider stores accepted vouchers at its payment server within 2 s or refuses more for a while
          // (503 PAYMENT_SERVER_UNAVAILABLE, nothing charged): on a loaded machine, wait and call again; the
          // consumer sends the same unspent voucher.
          for (let retry = 1; retry <= MAX_RETRIES && res.status === 503 && body.includes('PAYMENT_SERVER_UNAVAILABLE'); retry++) {
            retries++;
            await new Promise((r) => setTimeout(r, 1000));
            res = await consumer.fetch(providerUrl);
            body = await res.text();
          }
          if (res.status !== 200 || !receiptOf(res))
            throw new Error(`call ${call} of a channel answered ${res.status}: ${body.slice(0, 500)}`);
          if (call === 1) signedAfterFirst = consumer.channels()[0]?.signed ?? 0n;
        }
        // One channel; the second call was a ticket of the block the first voucher prepaid (nothing more signed).
        const [ch, ...more] = consumer.channels();
        return more.length === 0 && ch !== undefined && ch.calls === 2 && ch.signed === signedAfterFirst;
      },
      (done) => {
        const step = Math.max(1, Math.round(channels / 20));
        if (done - lastShown >= step || done === channels) {
          lastShown = done;
          const s = (Date.now() - t0) / 1000;
          const rate = done / s;
          const rss = Object.entries(memories(net, false))
            .map(([name, m]) => `${name} ${m.rssMb.toFixed(0)}/${m.peakMb.toFixed(0)}`)
            .join(', ');
          console.log(
            `  ${done}/${channels} channels open and used (${s.toFixed(0)} s, ~${Math.round((channels - done) / rate)} s left); RSS/max MB: ${rss}`,
          );
        }
      },
    );
    const openedSeconds = (Date.now() - t0) / 1000;
    const spentWei = balanceBefore - (await balanceOf(net.urls.chain!, payer.address));
    if (retries > 0)
      console.log(`  ${retries} calls sent again after a 503 PAYMENT_SERVER_UNAVAILABLE (the provider's voucher store lagging)`);
    console.log(`  the payer spent ${(Number(spentWei) / 1e18).toFixed(4)} ETH on ${channels} channels (deposits and gas)`);
    if (!served.every(Boolean)) throw new Error('a consumer did not end with exactly one channel');
    const after = memories(net, !values['no-heap']);
    const rows = Object.keys(after).map((name) => {
      const a = after[name]!;
      const b = before[name];
      const perChannel = (after: number | null | undefined, before: number | null | undefined) =>
        after != null && before != null ? Math.round(((after - before) * 1024 * 1024) / channels) : null;
      return {
        process: name,
        rssBeforeMb: b?.rssMb ?? null,
        rssAfterMb: a.rssMb,
        peakMb: a.peakMb,
        heapBeforeMb: b?.heapMb ?? null,
        heapAfterMb: a.heapMb,
        externalBeforeMb: b?.externalMb ?? null,
        externalAfterMb: a.externalMb,
        rssBytesPerChannel: perChannel(a.rssMb, b?.rssMb),
        heapBytesPerChannel: perChannel(a.heapMb, b?.heapMb),
        externalBytesPerChannel: perChannel(a.externalMb, b?.externalMb),
        cpuMsPerChannel: b ? ((a.cpuSeconds - b.cpuSeconds) * 1000) / channels : null,
        underTarget: a.peakMb < TARGET_MB,
      };
    });
    console.log(`\n${channels} channels opened and used in ${openedSeconds.toFixed(0)} s; memory per process (MB; bytes per channel):`);
    const head = ['RSS', 'RSS', 'max RSS', 'heap', 'heap', 'external', 'external', 'B/channel', 'B/channel', 'B/channel', 'CPU ms'];
    const sub = ['before', 'after', '(VmHWM)', 'before', 'after', 'before', 'after', 'RSS', 'heap', 'external', '/channel'];
    const line = (name: string, cells: string[], last: string) =>
      `  ${name.padEnd(18)} ${cells.map((c, i) => c.padStart(i < 7 ? 8 : 10)).join(' ')}  ${last}`;
    console.log(line('process', head, 'max RSS'));
    console.log(line('', sub, `< ${TARGET_MB} MB`));
    for (const r of rows) {
      const f = (v: number | null) => (v === null ? '-' : v.toFixed(1));
      const n = (v: number | null) => String(v ?? '-');
      console.log(
        line(
          r.process,
          [
            f(r.rssBeforeMb),
            f(r.rssAfterMb),
            f(r.peakMb),
            f(r.heapBeforeMb),
            f(r.heapAfterMb),
            f(r.externalBeforeMb),
            f(r.externalAfterMb),
            n(r.rssBytesPerChannel),
            n(r.heapBytesPerChannel),
            n(r.externalBytesPerChannel),
            r.cpuMsPerChannel === null ? '-' : r.cpuMsPerChannel.toFixed(2),
          ],
          r.underTarget ? 'yes' : 'NO',
        ),
      );
    }
    const over = rows.filter((r) => !r.underTarget);
    console.log(
      over.length === 0
        ? `every process stayed under ${TARGET_MB} MB of RSS for the whole run (VmHWM, start-up included)`
        : `over ${TARGET_MB} MB of RSS at some point: ${over.map((r) => `${r.process} (${r.peakMb.toFixed(1)} MB)`).join(', ')}`,
    );
    mkdirSync(out, { recursive: true });
    const file = path.join(out, 'memory.json');
    writeFileSync(
      file,
      JSON.stringify(
        {
          schema: 'chanpay-bench-memory/2',
          channels,
          prepay,
          concurrency,
          nodeFlags,
          openedSeconds,
          retries,
          spentWei: spentWei.toString(),
          targetMb: TARGET_MB,
          processes: rows,
        },
        null,
        2,
      ) + '\n',
    );
    console.log(`\nwritten: ${path.relative(process.cwd(), file)}`);
    const hold = Number(values.hold);
    if (hold > 0) {
      console.log(`holding the network for ${hold} s: ${net.processes.map((p) => `${p.name} pid ${p.child.pid}`).join(', ')}`);
      await new Promise((r) => setTimeout(r, hold * 1000));
    }
  } catch (e) {
    // What the network said last tells a refusal's cause (a timeout to a payment server, a crash) from the bench's.
    for (const p of net.processes) console.error(`--- last output of ${p.name}:\n${p.output().slice(-2000)}`);
    throw e;
  } finally {
    await net.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
