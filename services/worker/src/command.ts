import {
  CONSUMER_VARIABLES,
  defineService,
  optionalTextVariable,
  providerVariables,
  providerSettings,
} from '@chanpay/client-lib/service-kit';
import { startWorkerService, workerConfigFromEnv } from './index';

export const DEFAULT_PORT = 8100;

// Its price is in its configuration (WORKER_CONFIG), not in PRICE_WEI.
const { PRICE_WEI: _price, ...PROVIDER_VARIABLES } = providerVariables(0n);

/** A generic worker as a process: its settings (`--help` lists them) and how it starts. */
export const workerCommand = defineService({
  name: 'worker',
  summary: 'A generic worker of a topology: charges its price, does its work, calls and pays its upstreams (docs/topologies.md)',
  defaultPort: DEFAULT_PORT,
  variables: {
    WORKER_CONFIG: optionalTextVariable('its configuration as JSON: name, price, work, upstream call groups', 'WORKER_CONFIG_FILE'),
    WORKER_CONFIG_FILE: optionalTextVariable('a JSON file holding it instead', 'WORKER_CONFIG'),
    ...PROVIDER_VARIABLES,
    VOUCHER_KEY: CONSUMER_VARIABLES.VOUCHER_KEY,
  },
  start: (basics, env) => {
    const config = workerConfigFromEnv({ WORKER_CONFIG: env.WORKER_CONFIG, WORKER_CONFIG_FILE: env.WORKER_CONFIG_FILE });
    return startWorkerService({
      port: basics.port,
      host: basics.host,
      config,
      payment: providerSettings(basics, { ...env, PRICE_WEI: 0n }),
      consumer: { mode: basics.mode, paymentServer: basics.paymentServer, voucherKey: env.VOUCHER_KEY, logger: basics.logger },
      adminToken: basics.adminToken,
      logger: basics.logger,
    });
  },
});
