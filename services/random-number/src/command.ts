import { defineService, providerSettings, providerVariables } from '@chanpay/client-lib/service-kit';
import { DEFAULT_PORT, DEFAULT_PRICE, startRandomNumberService } from './index';

/** The random-number service as a process: its settings (`--help` lists them) and how it starts. */
export const randomNumberCommand = defineService({
  name: 'random-number',
  summary: 'The random-number provider: GET /randomNumber, paid per call',
  defaultPort: DEFAULT_PORT,
  variables: providerVariables(DEFAULT_PRICE),
  start: (basics, env) => startRandomNumberService({ ...basics, payment: providerSettings(basics, env), price: env.PRICE_WEI }),
});
