import { formatAmount, formatDuration, formatTimestamp, formatUnits, formatWei, shortAddress } from '../src/lib/format';
import { configToSearch, DEFAULT_RPC_URL, parseConfig } from '../src/lib/config';
import { AddressBook, parseNames } from '../src/lib/names';

const A = '0x1111111111111111111111111111111111111111';
const B = '0x2222222222222222222222222222222222222222';

describe('formatting', () => {
  it('formats wei in the most readable unit', () => {
    expect(formatWei(0n)).toBe('0 ETH');
    expect(formatWei(5_000_000_000_000_000n)).toBe('0.005 ETH');
    expect(formatWei(1_234_567_890_000_000_000_000n)).toBe('1,234.56789 ETH');
    expect(formatWei(6_000_000_000n)).toBe('6 gwei');
    expect(formatWei(-6_500_000_000n)).toBe('-6.5 gwei');
    expect(formatWei(42n)).toBe('42 wei');
  });
  it('rounds half up at the last kept digit, carrying into the whole part', () => {
    expect(formatUnits(1_999_999_9n, 7, 6)).toBe('2');
    expect(formatUnits(1_234_565n, 6, 5)).toBe('1.23457');
    expect(formatUnits(1_234_564n, 6, 5)).toBe('1.23456');
    expect(formatUnits(1_000n, 0)).toBe('1,000');
  });
  it('formats token amounts as raw units with the token', () => {
    expect(formatAmount(5n, '0x9999999999999999999999999999999999999999')).toBe('5 × 0x9999…9999');
    expect(formatAmount(10n ** 18n, '0x0000000000000000000000000000000000000000')).toBe('1 ETH');
  });
  it('formats durations, timestamps and addresses', () => {
    expect(formatDuration(3723)).toBe('1h 02m 03s');
    expect(formatDuration(65)).toBe('1m 05s');
    expect(formatDuration(9.9)).toBe('9s');
    expect(formatDuration(-5)).toBe('0s');
    expect(formatTimestamp(0)).toBe('1970-01-01 00:00:00 UTC');
    expect(shortAddress(A)).toBe('0x1111…1111');
  });
});

describe('names', () => {
  it('parses address:name lists and reports bad entries', () => {
    expect(parseNames(`${A.toUpperCase().replace('0X', '0x')}:public, ${B}:random-number,,bad:x,${A}:`)).toEqual({
      names: [
        [A, 'public'],
        [B, 'random-number'],
      ],
      invalid: ['bad:x', `${A}:`],
    });
  });
  it('keeps the first name given for an address', () => {
    const book = new AddressBook();
    book.set(A, 'from-url');
    book.set(A.toUpperCase().replace('0X', '0x'), 'from-server');
    book.set('nonsense', 'x');
    expect(book.get(A)).toBe('from-url');
    expect(book.label(B)).toBe('0x2222…2222');
    expect(book.entries()).toEqual([[A, 'from-url']]);
  });
});

describe('config', () => {
  it('defaults to the local node', () => {
    expect(parseConfig('')).toEqual({
      rpcUrl: DEFAULT_RPC_URL,
      contract: null,
      paymentServerUrl: null,
      names: [],
      watch: [],
      problems: [],
    });
  });
  it('reads everything from the query, the hash overriding it', () => {
    const config = parseConfig(
      `?rpc=http://127.0.0.1:9545&contract=${A.replace('0x1', '0xA')}&server=http://127.0.0.1:4000/&names=${B}:persistence&watch=${A},${B}`,
      '#rpc=http://127.0.0.1:8546',
    );
    expect(config).toEqual({
      rpcUrl: 'http://127.0.0.1:8546',
      contract: A.replace('0x1', '0xa'),
      paymentServerUrl: 'http://127.0.0.1:4000',
      names: [[B, 'persistence']],
      watch: [A, B],
      problems: [],
    });
    expect(parseConfig(configToSearch(config))).toEqual(config);
  });
  it('reports and drops bad values', () => {
    const config = parseConfig('?rpc=javascript:alert(1)&contract=0x12&server=ftp://x&names=foo&watch=0xzz');
    expect(config.contract).toBeNull();
    expect(config.paymentServerUrl).toBeNull();
    expect(config.problems).toEqual([
      'rpc is not an http(s) URL: javascript:alert(1)',
      'contract is not an address: 0x12',
      'server is not an http(s) URL: ftp://x',
      'names entry is not address:name: foo',
      'watch entry is not an address: 0xzz',
    ]);
  });
  it('never puts a token into the URL', () => {
    expect(configToSearch({ ...parseConfig('?token=secret'), paymentServerUrl: 'http://127.0.0.1:1' })).not.toContain('secret');
  });
});
