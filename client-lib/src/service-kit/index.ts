/** `@chanpay/client-lib/service-kit`: what the example services are built with (settings, start, signals). */
export {
  providerFor,
  consumerFor,
  DEFAULT_DEPOSIT,
  type PaymentServerSettings,
  type ProviderSettings,
  type ConsumerSettings,
} from './factories';
export { upstreamClient, type UpstreamClient } from './upstream';
export { timedFetch, type UpstreamFetch } from '../http/timed-fetch';
export { poolFetch, sharedPoolFetch, type PoolFetch } from '../http/pool-fetch';
export { listen } from './listen';
export { stopOnSignals } from './signals';
export {
  variable,
  variableHelp,
  integerVariable,
  optionalIntegerVariable,
  portVariable,
  flagVariable,
  weiVariable,
  textVariable,
  optionalTextVariable,
  urlVariable,
  optionalUrlVariable,
  parseEnv,
  parseEnvs,
  describeVariables,
  type VariableHelp,
  type Variables,
  type EnvOf,
} from './env';
export {
  serviceVariables,
  serviceBasics,
  providerVariables,
  providerSettings,
  CONSUMER_VARIABLES,
  consumerSettings,
  adminTokenFromEnv,
  type ServiceEnv,
  type ServiceBasics,
  type ProviderEnv,
  type ConsumerEnv,
} from './settings';
export { runService, startServiceFromEnv, defineService, serviceUsage, type ServiceCommand, type RunningService } from './run-service';
export { startProviderService, type ProviderServiceOptions, type OpenApp, type RunningProviderService } from './provider-service';
