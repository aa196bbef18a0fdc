import type { TopologyInput } from '../schema';

/**
 * The thesis's example network, exactly as `npm start` has always built it: payment-server-1 holds both
 * providers' accounts, payment-server-2 the public service's (whose hot voucher key both the service, for local
 * mode, and its payment server, for remote mode, hold); public calls random-number (1 gwei), then persistence
 * (2 gwei), through one consumer with 5 finney channels and a 120 s challenge period.
 */
export function thesisTopology(): TopologyInput {
  return {
    name: 'thesis',
    description: "The thesis's example network: public pays random-number (1 gwei), then persistence (2 gwei), per call",
    chain: { kind: 'ganache', port: 8545 },
    defaults: { payment: { mode: 'local', prepay: 1, deposit: '5 finney', challengePeriod: 120 } },
    teams: [
      {
        name: 'providers',
        paymentServer: { name: 'payment-server-1', port: 3001 },
        accounts: [{ name: 'random-number' }, { name: 'persistence' }],
      },
      {
        name: 'consumers',
        paymentServer: { name: 'payment-server-2', port: 3002 },
        accounts: [{ name: 'public', voucherKey: 'both' }],
      },
    ],
    services: [
      { name: 'random-number', kind: 'random-number', team: 'providers', price: '1 gwei', port: 8002 },
      { name: 'persistence', kind: 'persistence', team: 'providers', price: '2 gwei', port: 8001 },
      { name: 'public', kind: 'public', team: 'consumers', port: 8003 },
    ],
    calls: { public: [{ calls: [{ to: 'random-number' }, { to: 'persistence' }] }] },
    entry: ['public'],
  };
}
