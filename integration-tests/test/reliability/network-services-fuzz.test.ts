import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { ERROR_STATUS, PAYMENT_SCHEME, encodeVoucher, isErrorCode } from '@chanpay/protocol';
import { VoucherHasher, VoucherSigner, addressOfPrivateKey, hexToBuffer } from '@chanpay/protocol/node';
import { bound, timeoutMs } from './lib/bounds';
import { networkProcessTarget, startActionLoad } from './lib/fault-hooks';
import { recordFigure, stopwatch } from './lib/figures';
import { NotSendable, rawClient, type RawResponse, type RawSend } from './lib/http';
import { waitFor } from './lib/load';
import { timeTravel } from './lib/chain';
import {
  ReceiptBook,
  finishSettlement,
  getJson,
  scenarioStart,
  settleScenario,
  startFaultNetwork,
  type FaultNetwork,
  type Hop,
} from './lib/network-scenario';

/**
 * Fuzzing of the services' own endpoints on the example network (local mode): the paid routes (/randomNumber,
 * /save?nr=) with hostile payment-voucher and idempotency-key headers and hostile numbers, the free ones (/status,
 * /payout, /action) and arbitrary paths and methods, interleaved with honest paid calls on two channels of the
 * test's own (a model of what each provider has been paid). Properties: no 5xx except the documented 503
 * PAYMENT_SERVER_UNAVAILABLE; a paid route answers 2xx only to a valid payment (or the idempotent replay of one);
 * every refusal of a paid route is a 402 with the terms or a 4xx with a stable code, and changes nothing (rows saved,
 * vouchers held). Then the secret scan: the whole run at debug level (the fuzzing, a kill -9 and restart of every
 * process, /action load, claims, close, settlement) searched for every private key and token of the run.
 */

const REQUESTS = bound(Number(process.env.CHANPAY_FUZZ_SERVICE_REQUESTS ?? 600));
const SEED = process.env.CHANPAY_FUZZ_SEED ? Number(process.env.CHANPAY_FUZZ_SEED) : Date.now() % 2 ** 31;
const GWEI = 1_000_000_000n;
const PRICE: Record<Hop, bigint> = { randomNumber: GWEI, persistence: 2n * GWEI };
const DEPOSIT = 1_000_000n * GWEI;

type VoucherKind =
  | 'honest'
  | 'none'
  | 'garbage'
  | 'long'
  | 'mutated'
  | 'forged'
  | 'other-chain'
  | 'other-contract'
  | 'unknown-channel'
  | 'other-provider'
  | 'replay'
  | 'underpaid'
  | 'above-deposit'
  | 'u256-max'
  | 'zero'
  | 'version-2';
type KeyKind = 'none' | 'fresh' | 'too-long' | 'space' | 'unicode' | 'reused-served' | 'repeat-served-call';
type NrKind = 'valid' | 'hostile';

interface Plan {
  target: 'randomNumber' | 'persistence' | 'free' | 'wild';
  voucher: VoucherKind;
  key: KeyKind;
  nr: NrKind;
  hostileNr: string;
  garbage: string;
  mutateAt: number;
  underBy: number;
  free: string;
  wildPath: string;
  wildMethod: string;
}

const HOSTILE_NR = [
  'NaN',
  'Infinity',
  '-Infinity',
  '1e309',
  '-1e309',
  '',
  ' 1',
  '1 ',
  '0x10',
  '1e',
  '٣',
  '１',
  '__proto__',
  '1,5',
  '1.2.3',
  '--1',
  '+-1',
  '9'.repeat(65),
  '%00',
  '1%001',
  'null',
  'true',
  '[]',
  '{}',
  '1/0',
];
const VOUCHER_KINDS: VoucherKind[] = [
  'none',
  'garbage',
  'long',
  'mutated',
  'forged',
  'other-chain',
  'other-contract',
  'unknown-channel',
  'other-provider',
  'replay',
  'underpaid',
  'above-deposit',
  'u256-max',
  'zero',
  'version-2',
];

const planArb: fc.Arbitrary<Plan> = fc.record({
  target: fc.oneof(
    { weight: 4, arbitrary: fc.constant('randomNumber' as const) },
    { weight: 4, arbitrary: fc.constant('persistence' as const) },
    { weight: 1, arbitrary: fc.constant('free' as const) },
    { weight: 1, arbitrary: fc.constant('wild' as const) },
  ),
  voucher: fc.oneof(
    { weight: 3, arbitrary: fc.constant('honest' as VoucherKind) },
    { weight: 7, arbitrary: fc.constantFrom(...VOUCHER_KINDS) },
  ),
  key: fc.oneof(
    { weight: 3, arbitrary: fc.constant('none' as KeyKind) },
    { weight: 2, arbitrary: fc.constant('fresh' as KeyKind) },
    { weight: 3, arbitrary: fc.constantFrom<KeyKind>('too-long', 'space', 'unicode', 'reused-served', 'repeat-served-call') },
  ),
  nr: fc.oneof({ weight: 3, arbitrary: fc.constant('valid' as NrKind) }, { weight: 1, arbitrary: fc.constant('hostile' as NrKind) }),
  // Random strings with at least one character no decimal number has (a random "7" would be a valid number).
  hostileNr: fc.oneof(
    fc.constantFrom(...HOSTILE_NR),
    fc.string({ maxLength: 20 }).filter((x) => !/^[-+.0-9eE]*$/.test(x)),
  ),
  garbage: fc.oneof(
    fc.string({ maxLength: 80 }),
    fc.string({ unit: 'grapheme', maxLength: 30 }),
    fc.constantFrom('1', '1.....', '1.1337', 'Bearer x', '{"a":1}'),
  ),
  mutateAt: fc.nat(),
  underBy: fc.nat(),
  free: fc.constantFrom('/status', '/payout'),
  wildPath: fc.oneof(
    fc.constantFrom(
      '/',
      '/randomNumber/x',
      '/save/',
      '/SAVE?nr=1',
      '/randomnumber',
      '/%2e%2e/status',
      '/..',
      '/%zz',
      '/redeem/x',
      '/status?x=' + 'a'.repeat(3000),
    ),
    fc.webPath(),
  ),
  wildMethod: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'),
});

/** Drops characters node refuses to put in a header (the request would not leave the client). */
const headerSafe = (s: string) => s.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');

describe('fuzzing the services of the example network (local mode), then a secret scan of the whole run', () => {
  let f: FaultNetwork;
  const elapsed = stopwatch();

  beforeAll(async () => {
    f = await startFaultNetwork({ mode: 'local', claimIntervalSeconds: 5 });
  }, 120_000);

  afterAll(async () => {
    await f?.stop();
  });

  const stats = {
    requests: 0,
    notSendable: 0,
    routerPlain4xx: 0,
    served: 0,
    replays: 0,
    honest: 0,
    refused402: 0,
    refused4xx: 0,
    allowed503: 0,
    byStatus: {} as Record<string, number>,
    byCode: {} as Record<string, number>,
  };

  test(
    'hostile headers and numbers: no undocumented 5xx, never served without a valid payment, refusals change nothing',
    async () => {
      const status = (await f.api('public').call('GET', '/status')).body as { chainId: string; contract: string };
      const hasher = new VoucherHasher({ chainId: BigInt(status.chainId), contract: status.contract as `0x${string}` });
      const fuzzKey = '0x' + randomBytes(32).toString('hex');
      const signer = new VoucherSigner(hasher, hexToBuffer(fuzzKey));
      const forger = new VoucherSigner(hasher, hexToBuffer('0x' + randomBytes(32).toString('hex')));
      const otherChain = new VoucherSigner(
        new VoucherHasher({ chainId: BigInt(status.chainId) + 1n, contract: status.contract as `0x${string}` }),
        hexToBuffer(fuzzKey),
      );
      const otherContract = new VoucherSigner(
        new VoucherHasher({ chainId: BigInt(status.chainId), contract: ('0x' + randomBytes(20).toString('hex')) as `0x${string}` }),
        hexToBuffer(fuzzKey),
      );
      f.addSecret({ label: 'fuzz voucher key', kind: 'privateKey', value: fuzzKey });

      // Two channels of the test's own (the public service's account pays, the test's key signs).
      const addresses = f.net.addresses!;
      const channel: Record<Hop, string> = { randomNumber: '', persistence: '' };
      for (const hop of ['randomNumber', 'persistence'] as const) {
        const r = await f.api('public').call('POST', '/channels', {
          provider: addresses[hop],
          deposit: DEPOSIT.toString(),
          challengePeriod: 120,
          signer: addressOfPrivateKey(hexToBuffer(fuzzKey)),
        });
        expect(r.status).toBe(201);
        channel[hop] = r.body.channel.id;
      }
      for (const hop of ['randomNumber', 'persistence'] as const)
        await waitFor(
          `payment-server-1 to see ${hop}'s channel`,
          async () => (await f.api(hop).call('GET', `/channels/${channel[hop]}`)).status === 200,
          10_000,
        );

      // The model: what each provider has been paid on our channel (always contiguous: honest vouchers pay exactly the next range).
      const held: Record<Hop, bigint> = { randomNumber: 0n, persistence: 0n };
      const lastHonest: Record<Hop, string | null> = { randomNumber: null, persistence: null };
      const served: { hop: Hop; key: string; voucher: string }[] = [];
      const savedBefore = await f.saved();
      let honestSaves = 0;
      let actions = 0;
      const send: Record<string, RawSend> = {
        randomNumber: rawClient(f.net.urls.randomNumber!, f.collector),
        persistence: rawClient(f.net.urls.persistence!, f.collector),
        public: rawClient(f.net.urls.public!, f.collector),
      };
      const violations: string[] = [];
      const plans = fc.sample(planArb, { seed: SEED, numRuns: REQUESTS });

      for (const [i, plan] of plans.entries()) {
        if (plan.target === 'free' || plan.target === 'wild') {
          const svc = (['randomNumber', 'persistence', 'public'] as const)[i % 3]!;
          const path = plan.target === 'free' ? (svc === 'public' ? (i % 2 ? '/status' : '/action') : plan.free) : plan.wildPath;
          const method = plan.target === 'free' ? 'GET' : plan.wildMethod;
          const headers: Record<string, string> = {
            'payment-voucher': headerSafe(plan.garbage),
            'idempotency-key': headerSafe(plan.garbage),
          };
          const res = await attempt(send[svc]!, { method, path, headers });
          if (!res) continue;
          if (svc === 'public' && path === '/action' && res.status === 200) actions++;
          if (res.status >= 500) violations.push(`#${i} ${method} ${svc}${path.slice(0, 60)}: ${res.status} ${res.text.slice(0, 200)}`);
          if (res.status >= 400 && !isErrorCode(res.json?.error?.code)) stats.routerPlain4xx++;
          const paidRoute = /^\/(randomNumber|save)(\?|$)/.test(path);
          if (paidRoute && res.status < 300 && svc !== 'public')
            violations.push(`#${i} ${method} ${svc}${path}: ${res.status} without a voucher`);
          continue;
        }

        const hop = plan.target;
        const price = PRICE[hop];
        const id = channel[hop];
        const other = channel[hop === 'randomNumber' ? 'persistence' : 'randomNumber'];
        const next = held[hop] + price;
        let voucher: string | undefined;
        let honest = false;
        switch (plan.voucher) {
          case 'honest':
            voucher = encodeVoucher(signer.sign(id, next));
            honest = true;
            break;
          case 'none':
            break;
          case 'garbage':
            voucher = headerSafe(plan.garbage);
            break;
          case 'long':
            voucher = '1.' + 'x'.repeat(plan.mutateAt % 2 ? 600 : 10_000);
            break;
          case 'mutated': {
            const v = encodeVoucher(signer.sign(id, next));
            const at = plan.mutateAt % v.length;
            voucher = v.slice(0, at) + (v[at] === 'a' ? 'b' : 'a') + v.slice(at + 1);
            break;
          }
          case 'forged':
            voucher = encodeVoucher(forger.sign(id, next));
            break;
          case 'other-chain':
            voucher = encodeVoucher(otherChain.sign(id, next));
            break;
          case 'other-contract':
            voucher = encodeVoucher(otherContract.sign(id, next));
            break;
          case 'unknown-channel':
            voucher = encodeVoucher(signer.sign('0x' + randomBytes(32).toString('hex'), next));
            break;
          case 'other-provider':
            voucher = encodeVoucher(signer.sign(other, next));
            break;
          case 'replay':
            voucher = lastHonest[hop] ?? encodeVoucher(signer.sign(id, 0n));
            break;
          case 'underpaid':
            voucher = encodeVoucher(signer.sign(id, next - 1n - (BigInt(plan.underBy) % next)));
            break;
          case 'above-deposit':
            voucher = encodeVoucher(signer.sign(id, DEPOSIT + 1n));
            break;
          case 'u256-max':
            voucher = encodeVoucher(signer.sign(id, (1n << 256n) - 1n));
            break;
          case 'zero':
            voucher = encodeVoucher(signer.sign(id, 0n));
            break;
          case 'version-2':
            voucher = '2' + encodeVoucher(signer.sign(id, next)).slice(1);
            break;
        }
        const headers: Record<string, string> = {};
        let key: string | null = null;
        let expectReplay = false;
        const earlier = served.filter((s) => s.hop === hop).at(-1);
        switch (plan.key) {
          case 'none':
            break;
          case 'fresh':
            key = `fuzz-${i}-${randomBytes(6).toString('hex')}`;
            break;
          case 'too-long':
            key = 'k'.repeat(129);
            break;
          case 'space':
            key = 'a b';
            break;
          case 'unicode':
            key = 'clé-é';
            break;
          case 'reused-served':
            key = earlier?.key ?? null;
            break;
          case 'repeat-served-call':
            // The same key and voucher as a call already served: its stored answer, not served or charged again.
            if (earlier) {
              key = earlier.key;
              voucher = earlier.voucher;
              honest = false;
              expectReplay = true;
            }
            break;
        }
        if (voucher !== undefined) headers['payment-voucher'] = voucher;
        // The same key and voucher as a call already served (however the plan got there) is a repeat of that call.
        if (key !== null && served.some((x) => x.hop === hop && x.key === key && x.voucher === voucher)) {
          honest = false;
          expectReplay = true;
        }
        if (key !== null) headers['idempotency-key'] = key;
        const nrOk = plan.nr === 'valid';
        const nr = nrOk ? String((i % 1000) / 7) : plan.hostileNr;
        // A hostile number is refused before payment, even on a repeat.
        if (hop === 'persistence' && !nrOk) expectReplay = false;
        const path = hop === 'randomNumber' ? '/randomNumber' : `/save?nr=${encodeURIComponent(nr)}`;
        const validKey = key === null || /^[\x21-\x7e]{1,128}$/.test(key);
        // A fresh honest voucher under a key already used with another voucher is a conflict, not a payment.
        const keyConflict = key !== null && !expectReplay && served.some((s) => s.hop === hop && s.key === key);
        const shouldPay = honest && validKey && !keyConflict && (hop === 'randomNumber' || nrOk);

        const res = await attempt(send[hop]!, { method: 'GET', path, headers });
        if (!res) continue;
        const what = `#${i} ${hop} voucher=${plan.voucher} key=${plan.key} nr=${hop === 'persistence' ? plan.nr : '-'}`;
        if (res.status >= 500) {
          if (res.status === 503 && res.json?.error?.code === 'PAYMENT_SERVER_UNAVAILABLE') stats.allowed503++;
          else violations.push(`${what}: ${res.status} ${res.text.slice(0, 200)}`);
          continue;
        }
        if (res.status < 300) {
          const replayed = res.headers['idempotent-replayed'] === 'true';
          if (replayed) {
            stats.replays++;
            if (!expectReplay) violations.push(`${what}: an unexpected idempotent replay`);
            continue;
          }
          if (!shouldPay) {
            violations.push(`${what}: served (${res.status}) without a valid payment`);
            continue;
          }
          stats.served++;
          stats.honest++;
          held[hop] = next;
          lastHonest[hop] = voucher!;
          if (hop === 'persistence') honestSaves++;
          if (key !== null) served.push({ hop, key, voucher: voucher! });
          continue;
        }
        if (shouldPay) violations.push(`${what}: an honest payment refused with ${res.status} ${res.text.slice(0, 200)}`);
        if (expectReplay) violations.push(`${what}: the repeat of a served call was not replayed: ${res.status} ${res.text.slice(0, 200)}`);
        const code = res.json?.error?.code;
        stats.byCode[String(code)] = (stats.byCode[String(code)] ?? 0) + 1;
        if (res.status === 402) {
          stats.refused402++;
          if (res.json?.scheme !== PAYMENT_SCHEME || !isErrorCode(code))
            violations.push(`${what}: a 402 without terms or code: ${res.text.slice(0, 200)}`);
        } else {
          stats.refused4xx++;
          if (!isErrorCode(code) || ERROR_STATUS[code] !== res.status)
            violations.push(`${what}: ${res.status} without a matching stable code: ${res.text.slice(0, 200)}`);
        }
      }

      expect(violations).toEqual([]);
      // What the providers hold and saved is exactly the model's: refusals changed nothing.
      for (const hop of ['randomNumber', 'persistence'] as const) await getJson(`${f.net.urls[hop]}/payout`);
      for (const hop of ['randomNumber', 'persistence'] as const) {
        const v = await f.providerChannel(hop, channel[hop]);
        expect({ hop, held: v.latestVoucher?.amount ?? '0' }).toEqual({ hop, held: held[hop].toString() });
      }
      expect((await f.saved()) - savedBefore).toBe(honestSaves + actions);
      expect(stats.honest).toBeGreaterThan(10);
      expect(stats.refused402).toBeGreaterThan(REQUESTS / 4);

      // Our channels end like every other: claimed, closed, settled, and the books balance to the wei.
      for (const hop of ['randomNumber', 'persistence'] as const) expect((await getJson(`${f.net.urls[hop]}/redeem`)).status).toBe(200);
      for (const hop of ['randomNumber', 'persistence'] as const)
        expect((await f.api('public').call('POST', `/channels/${channel[hop]}/close`, {})).body.state).toBe('closing');
      await timeTravel(f.rpcUrl(), 121);
      const ids = [channel.randomNumber, channel.persistence].map((x) => x.toLowerCase());
      const s = await finishSettlement(
        f,
        ids,
        new Map([
          [ids[0]!, held.randomNumber],
          [ids[1]!, held.persistence],
        ]),
        new ReceiptBook(),
      );
      expect(s.problems).toEqual([]);
    },
    timeoutMs(120_000),
  );

  const restarted: string[] = [];

  test(
    'the rest of a life cycle at debug level: kill -9 and restart of every process under load, claims, close, settlement',
    async () => {
      const start = await scenarioStart(f);
      const book = new ReceiptBook();
      const load = startActionLoad(f.net.urls.public!, {
        concurrency: 3,
        maxCalls: bound(3000),
        onResponse: book.onResponse,
        backoffMs: 20,
      });
      try {
        // The consumer first: a batched provider that crashed forgets the vouchers of its last moments, and a consumer
        // restarted after that (starting from what was claimed) would pay those ranges again for new calls: the
        // documented cost of a batched crash, which the fault scenarios measure on their own, not here.
        for (const name of ['public', 'payment-server-2', 'payment-server-1', 'random-number', 'persistence']) {
          const target = networkProcessTarget(f.net, name);
          await target.kill9();
          await target.restart();
          restarted.push(name);
          const from = book.served;
          await waitFor(`calls after restarting ${name}`, () => book.served - from >= 5, 30_000, 20);
        }
      } finally {
        await load.stop();
      }
      const s = await settleScenario(f, start, book);
      expect(s.problems).toEqual([]);
      expect(s.unpaidReceipts).toEqual([]);
    },
    timeoutMs(120_000),
  );

  test('no private key and no token in any output of any process, nor in any response', () => {
    const hits = f.scanSecrets();
    const lines = f.collector.all().filter((t) => t.source.startsWith('log ')).length;
    const responses = f.collector.all().length - lines;
    recordFigure({
      scenario: 'Network: fuzzing the services',
      chain: 'ganache (embedded)',
      load: `${stats.requests} requests one at a time to random-number, persistence and public (seed ${SEED}); ${stats.honest} honest paid calls among them on two channels of the test's own`,
      faults: 'none',
      inputs: `hostile payment-voucher headers (none, garbage, 600 and 10k characters, one character changed, forged, other chain, other contract, unknown channel, another provider's channel, replayed, underpaid, above the deposit, u256 max, zero, version 2), idempotency keys (129 characters, space, unicode, reused with another voucher, repeated with the same voucher), hostile /save?nr= values (NaN, Infinity, 1e309, 0x10, Arabic and full-width digits, 65 digits, __proto__, …), arbitrary paths and methods: paid routes: ${stats.refused402} refused with 402 + terms and ${stats.refused4xx} with another 4xx (codes: ${Object.entries(
        stats.byCode,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(
          ', ',
        )}), ${stats.replays} idempotent replays; ${stats.routerPlain4xx} unknown paths or methods answered 404/405 by the router (plain text)`,
      lost: `0 undocumented 5xx (${stats.allowed503} x 503 PAYMENT_SERVER_UNAVAILABLE); served without a valid payment: 0; what the providers hold and the rows saved are exactly the honest calls'`,
      numbers: { ...stats, byStatus: JSON.stringify(stats.byStatus), byCode: JSON.stringify(stats.byCode), seed: SEED },
      durationMs: elapsed(),
    });
    recordFigure({
      scenario: 'Network: secret scan',
      chain: 'ganache (embedded)',
      load: 'the whole example network at log level debug: the fuzzing above, /action load, a kill -9 and restart of each of the 5 processes, claims, close and settlement',
      faults: `kill -9 of ${restarted.join(', ')}`,
      inputs: `${f.collector.size} texts scanned (${lines} log lines of every process across restarts, ${responses} response bodies) for ${f.secrets().length} secrets (${f.secrets().filter((x) => x.kind === 'privateKey').length} private keys, ${f.secrets().filter((x) => x.kind === 'token').length} tokens) in hex (any case, with or without 0x), base64 and byte-list form`,
      lost: `secrets found: ${hits.length}`,
      numbers: { texts: f.collector.size, lines, responses, secrets: f.secrets().length, hits: hits.length },
      durationMs: elapsed(),
    });
    expect(lines).toBeGreaterThan(100);
    expect(hits).toEqual([]);
  });

  async function attempt(
    send: RawSend,
    req: { method: string; path: string; headers: Record<string, string> },
  ): Promise<RawResponse | null> {
    stats.requests++;
    try {
      const res = await send(req);
      stats.byStatus[res.status] = (stats.byStatus[res.status] ?? 0) + 1;
      return res;
    } catch (e) {
      if (e instanceof NotSendable) {
        stats.notSendable++;
        return null;
      }
      throw e;
    }
  }
});
