import { CONSUMER_VARIABLES, consumerSettings, defineService, integerVariable, urlVariable } from '@chanpay/client-lib/service-kit';
import { DEFAULT_PERSISTENCE_URL, DEFAULT_PORT, DEFAULT_RANDOM_NUMBER_URL, DEFAULT_UPSTREAM_TIMEOUT_MS, startPublicService } from './index';

/** The public service as a process: its settings (`--help` lists them) and how it starts. */
export const publicCommand = defineService({
  name: 'public',
  summary: 'The public service: GET /action calls random-number, then persistence, paying both per call',
  defaultPort: DEFAULT_PORT,
  variables: {
    RANDOM_NUMBER_URL: urlVariable('random-number service', DEFAULT_RANDOM_NUMBER_URL),
    PERSISTENCE_URL: urlVariable('persistence service', DEFAULT_PERSISTENCE_URL),
    ...CONSUMER_VARIABLES,
    UPSTREAM_TIMEOUT_MS: integerVariable('per upstream call', DEFAULT_UPSTREAM_TIMEOUT_MS),
  },
  start: (basics, env) =>
    startPublicService({
      ...basics,
      payment: consumerSettings(basics, env),
      randomNumberUrl: env.RANDOM_NUMBER_URL,
      persistenceUrl: env.PERSISTENCE_URL,
      upstreamTimeoutMs: env.UPSTREAM_TIMEOUT_MS,
    }),
});
