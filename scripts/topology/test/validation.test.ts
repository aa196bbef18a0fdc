/** Every way a topology can be wrong is refused before anything starts, with the field's path and what is wrong. */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseTopology, startTopology, TopologyError, type TopologyInput } from '../src';

/** front (entry) → mid → rn, on two teams: valid as it stands. */
function base(): TopologyInput {
  return {
    teams: [{ name: 'a' }, { name: 'b' }],
    services: [
      { name: 'front', kind: 'worker', team: 'a' },
      { name: 'mid', kind: 'worker', team: 'b', price: '3 gwei' },
      { name: 'rn', kind: 'random-number', team: 'b' },
    ],
    calls: { front: [{ calls: [{ to: 'mid' }] }], mid: [{ calls: [{ to: 'rn' }] }] },
    entry: ['front'],
  };
}

/** The issues of an invalid topology as `path: message` lines. */
function issuesOf(input: unknown): string[] {
  try {
    parseTopology(input);
  } catch (e) {
    if (!(e instanceof TopologyError)) throw e;
    return e.message
      .split('\n')
      .slice(1)
      .map((l) => l.trim());
  }
  throw new Error('the topology was accepted');
}

function edit(f: (t: TopologyInput) => void): TopologyInput {
  const t = base();
  f(t);
  return t;
}

test('the base topology is valid, with defaults filled in and amounts in wei', () => {
  const t = parseTopology(base());
  expect(t.services.map((s) => [s.name, s.price])).toEqual([
    ['front', 0n],
    ['mid', 3_000_000_000n],
    ['rn', 1_000_000_000n],
  ]);
  expect(t.edges.map((e) => [e.from, e.to, e.payment.mode, e.payment.deposit])).toEqual([
    ['front', 'mid', 'local', 5_000_000_000_000_000n],
    ['mid', 'rn', 'local', 5_000_000_000_000_000n],
  ]);
  expect(t.teams[1]!.paymentServer.name).toBe('payment-server-b');
});

describe('each problem is named by its path', () => {
  test('a cycle in the call graph', () => {
    const t = edit((t) => {
      t.services.push({ name: 'w2', kind: 'worker', team: 'a' });
      t.calls!.mid![0]!.calls.push({ to: 'w2' });
      t.calls!.w2 = [{ calls: [{ to: 'mid' }] }];
    });
    expect(issuesOf(t)).toEqual(['calls.w2[0].calls[0].to: the calls form a cycle: mid → w2 → mid']);
  });

  test('an unknown upstream', () => {
    expect(issuesOf(edit((t) => (t.calls!.front![0]!.calls[0]!.to = 'nobody')))).toContain(
      'calls.front[0].calls[0].to: unknown upstream "nobody": no service has that name',
    );
  });

  test('an unknown caller', () => {
    expect(issuesOf(edit((t) => (t.calls!.ghost = [{ calls: [{ to: 'rn' }] }])))).toEqual([
      'calls.ghost: unknown caller "ghost": no service has that name',
    ]);
  });

  test('an unknown team', () => {
    expect(issuesOf(edit((t) => (t.services[1]!.team = 'c')))).toEqual(['services[1].team: unknown team "c"; teams are "a", "b"']);
  });

  test('a service whose team lists other accounts', () => {
    expect(issuesOf(edit((t) => (t.teams[1]!.accounts = [{ name: 'rn' }])))).toEqual([
      'services[1].name: team "b" has no account "mid" (a service uses the account named after it unless "account" says otherwise)',
    ]);
  });

  test('a price that is not an amount', () => {
    expect(issuesOf(edit((t) => (t.services[1]!.price = '2 gwie')))).toEqual([
      expect.stringMatching(/^services\[1\]\.price: unknown unit "gwie": use wei, .*gwei/),
    ]);
    expect(issuesOf(edit((t) => (t.services[1]!.price = 'two')))[0]).toMatch(/^services\[1\]\.price: "two" is not an amount/);
  });

  test('a service calling itself', () => {
    expect(issuesOf(edit((t) => t.calls!.mid![0]!.calls.push({ to: 'mid' })))).toEqual([
      'calls.mid[0].calls[1].to: service "mid" calls itself',
    ]);
  });

  test('ports that collide', () => {
    const t = edit((t) => {
      t.services[0]!.port = 9000;
      t.teams[1]!.paymentServer = { port: 9000 };
      t.chain = { port: 9000 };
    });
    expect(issuesOf(t)).toEqual([
      'teams[1].paymentServer.port: port 9000 is also the port of the chain',
      'services[0].port: port 9000 is also the port of the chain',
    ]);
  });

  test('remote mode whose payment server does not hold the signing key', () => {
    const t = edit((t) => {
      t.teams[0]!.accounts = [{ name: 'front', voucherKey: 'service' }];
      t.calls!.front![0]!.calls[0]!.payment = { mode: 'remote' };
      t.calls!.mid![0]!.calls[0]!.payment = { mode: 'remote' };
    });
    expect(issuesOf(t)).toEqual([
      'calls.front[0].calls[0].payment.mode: remote mode needs payment-server-a to hold the signing key of account "front", but its voucher key is held by the service only (voucherKey "service"; use "both" or "payment-server")',
    ]);
  });

  test('local mode without a voucher key in the service', () => {
    const t = edit((t) => (t.teams[1]!.accounts = [{ name: 'mid', voucherKey: 'payment-server' }, { name: 'rn' }]));
    expect(issuesOf(t)).toEqual([
      'calls.mid[0].calls[0].payment.mode: local mode needs a voucher key in service "mid", but account "mid" of team "b" has voucherKey "payment-server" (use "service" or "both")',
    ]);
  });

  test('an entry that does not exist', () => {
    expect(issuesOf(edit((t) => (t.entry = ['front', 'nope'])))).toEqual(['entry[1]: unknown entry "nope": no service has that name']);
  });
});

describe('and the other rules', () => {
  test('a field the schema does not know, and a kind it does not know', () => {
    const t = edit((t) => {
      (t.services[0] as Record<string, unknown>).prise = '1 gwei';
      (t.services[1] as Record<string, unknown>).kind = 'database';
    });
    expect(issuesOf(t)).toEqual([
      'services[0]: Unrecognized key: "prise"',
      'services[1].kind: Invalid option: expected one of "public"|"random-number"|"persistence"|"worker"',
    ]);
  });

  test('a service defined twice', () => {
    expect(issuesOf(edit((t) => t.services.push({ name: 'rn', kind: 'random-number', team: 'b' })))).toContain(
      'services[3].name: service "rn" is defined twice (also at index 2)',
    );
  });

  test('an entry with a price, and an entry that is also called', () => {
    expect(issuesOf(edit((t) => (t.services[0]!.price = '1 gwei')))).toEqual([
      'services[0].price: an entry is called by the load generator, which does not pay: an entry has no price',
    ]);
    expect(issuesOf(edit((t) => (t.entry = ['front', 'mid'])))).toContain(
      'entry[1]: entry "mid" is also called by "front"; an entry is only called by the load generator',
    );
  });

  test('a service nobody reaches', () => {
    expect(issuesOf(edit((t) => t.services.push({ name: 'lonely', kind: 'worker', team: 'a' })))).toEqual([
      'services[3].name: service "lonely" is not an entry and no entry reaches it',
    ]);
  });

  test('a provider paid in two modes', () => {
    const t = edit((t) => {
      t.services.push({ name: 'front2', kind: 'worker', team: 'a' });
      t.calls!.front2 = [{ calls: [{ to: 'mid', payment: { mode: 'remote' } }] }];
      t.entry.push('front2');
    });
    expect(issuesOf(t)).toEqual([
      'calls.front2[0].calls[0].payment.mode: "mid" is paid in local mode by "front" (calls.front[0].calls[0]) and in remote mode here: a provider runs one mode',
    ]);
  });

  test('more prepaid calls than the provider takes', () => {
    const t = edit((t) => {
      t.services[2]!.accepts = { prepaidTickets: 10 };
      t.calls!.mid![0]!.calls[0]!.payment = { prepay: 20 };
    });
    expect(issuesOf(t)).toEqual([
      'calls.mid[0].calls[0].payment.prepay: "rn" takes at most 10 prepaid calls per voucher (services.rn.accepts.prepaidTickets), not 20',
    ]);
  });

  test('a random-number service that calls somebody, and a public service that calls a worker', () => {
    expect(issuesOf(edit((t) => (t.calls!.rn = [{ calls: [{ to: 'mid' }] }])))).toContain('calls.rn: a random-number service calls nobody');
    const pub = edit((t) => {
      t.services[0]!.kind = 'public';
    });
    expect(issuesOf(pub)).toEqual([
      'calls.front: a public service makes one group of two calls: a random-number service, then a persistence service (as in the thesis)',
    ]);
  });

  test('replicas, an external chain without url, a zero deposit', () => {
    expect(issuesOf(edit((t) => (t.services[1]!.replicas = 3)))).toEqual([
      'services[1].replicas: a service that pays upstreams runs as one process (its replicas would sign on one channel); keep 1',
    ]);
    // A provider that pays nobody runs as replicas sharing its state (docs/scaling.md).
    expect(parseTopology(edit((t) => (t.services[2]!.replicas = 3))).services[2]!.replicas).toBe(3);
    expect(issuesOf(edit((t) => (t.services[0]!.replicas = 2)))[0]).toMatch(/^services\[0\]\.replicas: /);
    expect(issuesOf(edit((t) => (t.chain = { kind: 'external' })))).toEqual(['chain.url: an external chain needs its JSON-RPC url']);
    expect(issuesOf(edit((t) => (t.defaults = { payment: { deposit: '0' } })))).toEqual([
      'defaults.payment.deposit: a channel needs a deposit above 0',
    ]);
  });

  test('every problem at once, in one error', () => {
    const t = edit((t) => {
      t.services[1]!.team = 'c';
      t.entry = ['nope'];
    });
    const issues = issuesOf(t);
    expect(issues).toContain('services[1].team: unknown team "c"; teams are "a", "b"');
    expect(issues).toContain('entry[0]: unknown entry "nope": no service has that name');
  });

  test('the builder refuses a bad topology before it starts anything', async () => {
    const dataDir = path.join(mkdtempSync(path.join(tmpdir(), 'chanpay-topology-')), 'never');
    await expect(
      startTopology(
        edit((t) => (t.services[1]!.team = 'c')),
        { dataDir },
      ),
    ).rejects.toThrow(TopologyError);
    expect(existsSync(dataDir)).toBe(false);
  });
});
