import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Wallet } from 'ethers';
import { encodeVoucher, type Address } from '@chanpay/protocol';
import { VoucherHasher, VoucherSigner, hexToBuffer } from '@chanpay/protocol/node';
import type { EmbeddedChain } from '@chanpay/devkit';
import type { PaymentServer } from '../../src/server';
import { CHAINS, CONSUMER_TOKEN, OTHER_TOKEN, PROVIDER_TOKEN, api, startServer, tempDir, timeTravel } from './harness';

const GWEI = 1_000_000_000n;
const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;
const N = HALF_N * 2n + 1n;

describe.each(CHAINS)('every voucher rejection and bad request on %s', (_name, startChain) => {
  let chain: EmbeddedChain;
  let server: PaymentServer;
  let id: string;
  let signer: VoucherSigner;
  const http = api(() => server.url);
  const verify = (voucher: string, price = GWEI) =>
    http.call('POST', '/vouchers/verify', PROVIDER_TOKEN, { voucher, price: price.toString() });

  beforeAll(async () => {
    chain = await startChain(4);
    server = await startServer(chain, path.join(tempDir(), 'ps.db'));
    const provider = chain.accounts[1]!.address;
    id = (await http.call('POST', '/channels', CONSUMER_TOKEN, { provider, deposit: (100n * GWEI).toString() })).body.channel.id;
    signer = new VoucherSigner(
      new VoucherHasher({ chainId: server.chainId, contract: server.contract }),
      hexToBuffer(chain.accounts[0]!.privateKey),
    );
  });
  afterAll(async () => {
    await server?.stop();
    await chain?.stop();
  });

  const expectCode = async (p: Promise<{ status: number; body: any }>, status: number, code: string) => {
    const r = await p;
    expect({ status: r.status, code: r.body?.error?.code }).toEqual({ status, code });
    expect(typeof r.body.error.message).toBe('string');
  };

  test('malformed, oversized and unsupported vouchers', async () => {
    await expectCode(verify('not a voucher'), 400, 'MALFORMED_VOUCHER');
    await expectCode(verify('1.1337.0x00.0x00.1.0x00'), 400, 'MALFORMED_VOUCHER');
    await expectCode(verify(encodeVoucher(signer.sign(id, GWEI)).replace(/\.\d+\.0x/, '.12abc.0x')), 400, 'MALFORMED_VOUCHER');
    await expectCode(verify(encodeVoucher(signer.sign(id, GWEI)).replace(/^1\./, '2.')), 400, 'UNSUPPORTED_VOUCHER_VERSION');
    await expectCode(verify('1.' + 'x'.repeat(600)), 400, 'VOUCHER_TOO_LARGE');
    await expectCode(verify(encodeVoucher({ ...signer.sign(id, GWEI), amount: 1n << 256n })), 400, 'MALFORMED_VOUCHER');
  });

  test('wrong chain or contract', async () => {
    const v = signer.sign(id, GWEI);
    await expectCode(verify(encodeVoucher({ ...v, chainId: v.chainId + 1n })), 409, 'WRONG_DOMAIN');
    await expectCode(verify(encodeVoucher({ ...v, contract: ('0x' + '11'.repeat(20)) as Address })), 409, 'WRONG_DOMAIN');
  });

  test('unknown channel and a channel paying another provider', async () => {
    await expectCode(verify(encodeVoucher(signer.sign('0x' + randomBytes(32).toString('hex'), GWEI))), 404, 'UNKNOWN_CHANNEL');
    // A channel from the same consumer to a provider this token does not act for.
    const other = (await http.call('POST', '/channels', CONSUMER_TOKEN, { provider: chain.accounts[3]!.address, deposit: GWEI.toString() }))
      .body.channel.id;
    await expectCode(verify(encodeVoucher(signer.sign(other, GWEI))), 409, 'WRONG_PROVIDER');
    // ...and one to a provider this server serves, but through another token.
    const others = (
      await http.call('POST', '/channels', CONSUMER_TOKEN, { provider: chain.accounts[2]!.address, deposit: GWEI.toString() })
    ).body.channel.id;
    await expectCode(verify(encodeVoucher(signer.sign(others, GWEI))), 403, 'FORBIDDEN');
  });

  test('bad signatures and signer mismatch', async () => {
    const v = signer.sign(id, GWEI);
    const sig = hexToBuffer(v.signature);
    const badV = Buffer.from(sig);
    badV[64] = 29;
    await expectCode(verify(encodeVoucher({ ...v, signature: '0x' + badV.toString('hex') })), 401, 'BAD_SIGNATURE');
    // The malleable twin (s' = n - s, v flipped) recovers the same key, but the contract would refuse it.
    const s = BigInt('0x' + sig.subarray(32, 64).toString('hex'));
    const twin = Buffer.concat([
      sig.subarray(0, 32),
      Buffer.from((N - s).toString(16).padStart(64, '0'), 'hex'),
      Buffer.from([sig[64] === 27 ? 28 : 27]),
    ]);
    await expectCode(verify(encodeVoucher({ ...v, signature: '0x' + twin.toString('hex') })), 401, 'BAD_SIGNATURE');
    const zero = '0x' + '00'.repeat(64) + '1b';
    await expectCode(verify(encodeVoucher({ ...v, signature: zero })), 401, 'BAD_SIGNATURE');
    const forger = new VoucherSigner(
      new VoucherHasher({ chainId: server.chainId, contract: server.contract }),
      hexToBuffer(Wallet.createRandom().privateKey),
    );
    await expectCode(verify(encodeVoucher(forger.sign(id, GWEI))), 401, 'SIGNER_MISMATCH');
    // A genuine signature over another amount than the one claimed.
    await expectCode(verify(encodeVoucher({ ...signer.sign(id, GWEI), amount: 2n * GWEI })), 401, 'SIGNER_MISMATCH');
  });

  test('amount too low (replayed, overlapping, under the price), gap filling, and above the deposit', async () => {
    expect((await verify(encodeVoucher(signer.sign(id, 3n * GWEI)), GWEI)).status).toBe(200);
    await expectCode(verify(encodeVoucher(signer.sign(id, 3n * GWEI))), 409, 'AMOUNT_TOO_LOW'); // replay
    await expectCode(verify(encodeVoucher(signer.sign(id, 3n * GWEI + 1n)), GWEI), 409, 'AMOUNT_TOO_LOW'); // pays 1 wei for a 1 gwei call
    await expectCode(verify(encodeVoucher(signer.sign(id, 2n * GWEI + GWEI / 2n))), 409, 'AMOUNT_TOO_LOW'); // overlaps (2, 3]
    // (0, 2] is a gap the 3 gwei voucher left below itself: a late voucher fills it once, and the claim stays 3 gwei.
    expect((await verify(encodeVoucher(signer.sign(id, 2n * GWEI)))).status).toBe(200);
    await expectCode(verify(encodeVoucher(signer.sign(id, 2n * GWEI))), 409, 'AMOUNT_TOO_LOW');
    await expectCode(verify(encodeVoucher(signer.sign(id, 101n * GWEI))), 409, 'AMOUNT_EXCEEDS_DEPOSIT');
    const ch = (await http.call('GET', `/channels/${id}`, PROVIDER_TOKEN)).body.channel;
    expect(ch.latestVoucher.amount).toBe((3n * GWEI).toString());
    expect(ch.calls).toBe(2);
  });

  test('terms the provider does not accept', async () => {
    // A challenge period under the provider's minimum: the consumer's server refuses to open it...
    const r = await http.call('POST', '/channels', CONSUMER_TOKEN, {
      provider: chain.accounts[1]!.address,
      deposit: GWEI.toString(),
      challengePeriod: 5,
    });
    await expectCode(Promise.resolve(r), 400, 'VALIDATION_ERROR');
  });

  test('idempotency key: the same voucher again is not charged twice; another voucher is a conflict', async () => {
    const v = encodeVoucher(signer.sign(id, 10n * GWEI));
    const first = await http.call('POST', '/vouchers/verify', PROVIDER_TOKEN, {
      voucher: v,
      price: GWEI.toString(),
      idempotencyKey: 'call-1',
    });
    const again = await http.call('POST', '/vouchers/verify', PROVIDER_TOKEN, {
      voucher: v,
      price: GWEI.toString(),
      idempotencyKey: 'call-1',
    });
    expect(first.body.replayed).toBe(false);
    expect(again.status).toBe(200);
    expect(again.body.replayed).toBe(true);
    const calls = (await http.call('GET', `/channels/${id}`, PROVIDER_TOKEN)).body.channel.calls;
    expect(calls).toBe(3);
    await expectCode(
      http.call('POST', '/vouchers/verify', PROVIDER_TOKEN, {
        voucher: encodeVoucher(signer.sign(id, 11n * GWEI)),
        price: GWEI.toString(),
        idempotencyKey: 'call-1',
      }),
      409,
      'IDEMPOTENCY_CONFLICT',
    );
  });

  test('closing and closed channels', async () => {
    const provider = chain.accounts[1]!.address;
    const c = (await http.call('POST', '/channels', CONSUMER_TOKEN, { provider, deposit: (10n * GWEI).toString(), challengePeriod: 60 }))
      .body.channel.id;
    await http.call('POST', `/channels/${c}/close`, CONSUMER_TOKEN, {});
    await expectCode(verify(encodeVoucher(signer.sign(c, GWEI))), 409, 'CHANNEL_CLOSING');
    await timeTravel(chain.rpcUrl, 61);
    expect((await http.call('POST', `/channels/${c}/withdraw`, CONSUMER_TOKEN, {})).status).toBe(200);
    await expectCode(verify(encodeVoucher(signer.sign(c, GWEI))), 409, 'CHANNEL_CLOSED');
    await expectCode(http.call('POST', `/channels/${c}/topup`, CONSUMER_TOKEN, { amount: '1' }), 409, 'CHANNEL_CLOSED');
  });

  test('authentication and authorisation', async () => {
    await expectCode(http.call('GET', '/channels', null), 401, 'UNAUTHORIZED');
    await expectCode(http.call('GET', '/channels', 'wrong-token-wrong-token-0000'), 401, 'UNAUTHORIZED');
    await expectCode(http.call('GET', '/channels', null, undefined, { authorization: 'Basic abc' }), 401, 'UNAUTHORIZED');
    await expectCode(http.call('GET', '/metrics', null), 401, 'UNAUTHORIZED');
    await expectCode(
      http.call('POST', '/channels', CONSUMER_TOKEN, { account: 'provider', provider: chain.accounts[2]!.address, deposit: '1' }),
      403,
      'FORBIDDEN',
    );
    await expectCode(http.call('GET', `/channels/${id}`, OTHER_TOKEN), 403, 'NOT_CHANNEL_PARTY');
    await expectCode(http.call('POST', `/channels/${id}/vouchers`, PROVIDER_TOKEN, { price: '1' }), 403, 'NOT_CHANNEL_PARTY');
    await expectCode(http.call('POST', `/channels/${id}/claim`, CONSUMER_TOKEN, {}), 403, 'NOT_CHANNEL_PARTY');
    const seen = (await http.call('GET', `/channels`, OTHER_TOKEN)).body.channels as {
      id: string;
      terms: { consumer: string; provider: string };
    }[];
    expect(seen.map((c) => c.id)).not.toContain(id);
    for (const c of seen) expect([c.terms.consumer, c.terms.provider]).toContain(chain.accounts[2]!.address);
  });

  test('bad request bodies are 4xx with a stable code, never 500', async () => {
    await expectCode(http.call('POST', '/channels', CONSUMER_TOKEN, '{"provider":'), 400, 'MALFORMED_JSON');
    await expectCode(http.call('POST', '/channels', CONSUMER_TOKEN, { provider: 'nope', deposit: '1' }), 400, 'VALIDATION_ERROR');
    await expectCode(
      http.call('POST', '/channels', CONSUMER_TOKEN, { provider: chain.accounts[1]!.address, deposit: '-1' }),
      400,
      'VALIDATION_ERROR',
    );
    await expectCode(
      http.call('POST', '/channels', CONSUMER_TOKEN, { provider: chain.accounts[1]!.address, deposit: 1 }),
      400,
      'VALIDATION_ERROR',
    );
    await expectCode(
      http.call('POST', '/channels', CONSUMER_TOKEN, { provider: chain.accounts[1]!.address, deposit: '1', extra: true }),
      400,
      'VALIDATION_ERROR',
    );
    await expectCode(
      http.call('POST', '/channels', CONSUMER_TOKEN, { provider: chain.accounts[0]!.address, deposit: '1' }),
      400,
      'VALIDATION_ERROR',
    );
    await expectCode(
      http.call('POST', '/channels', CONSUMER_TOKEN, { provider: chain.accounts[1]!.address, deposit: '1'.repeat(100) }),
      400,
      'VALIDATION_ERROR',
    );
    await expectCode(http.call('POST', '/channels', CONSUMER_TOKEN, 'x'.repeat(70 * 1024)), 413, 'PAYLOAD_TOO_LARGE');
    await expectCode(
      http.call('POST', '/channels', CONSUMER_TOKEN, 'a=b', { 'content-type': 'application/x-www-form-urlencoded' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    await expectCode(http.call('GET', '/channels/0x1234', CONSUMER_TOKEN), 400, 'VALIDATION_ERROR');
    await expectCode(http.call('GET', '/channels?role=boss', CONSUMER_TOKEN), 400, 'VALIDATION_ERROR');
    await expectCode(http.call('GET', `/channels/0x${'ab'.repeat(32)}`, CONSUMER_TOKEN), 404, 'UNKNOWN_CHANNEL');
    await expectCode(http.call('GET', '/nothing-here', CONSUMER_TOKEN), 404, 'NOT_FOUND');
    await expectCode(http.call('DELETE', '/channels', CONSUMER_TOKEN), 405, 'METHOD_NOT_ALLOWED');
    await expectCode(
      http.call('POST', '/webhooks', CONSUMER_TOKEN, { url: 'file:///etc/passwd', events: ['channel.opened'] }),
      400,
      'VALIDATION_ERROR',
    );
  });
});
