/**
 * A service network described as data: the topology file's schema and validation, the generators, the network
 * builder (processes on 127.0.0.1) and the compose-file writer. Dev and benchmark tooling, never imported by
 * product code.
 */
export {
  TopologySchema,
  ServiceSchema,
  TeamSchema,
  ChainSchema,
  CallGroupSchema,
  CallSchema,
  PaymentSettingsSchema,
  WorkSchema,
  SERVICE_KINDS,
  VOUCHER_KEY_HOLDERS,
  type Topology,
  type TopologyInput,
  type ServiceKind,
  type VoucherKeyHolder,
} from './schema';
export {
  DEFAULT_PAYMENT,
  ROUTE_OF,
  isPaid,
  uniformMode,
  serviceOf,
  type ResolvedTopology,
  type Service,
  type Team,
  type Edge,
  type EdgePayment,
  type CallGroup,
  type Work,
  type FieldPath,
} from './model';
export { TopologyError, formatPath, type TopologyIssue } from './errors';
export { parseTopology, applyOverrides, resolveTopology, type TopologyOverrides, type ParseOptions } from './validate';
export { findCycle, providersFirst, expectedCalls, depths, type Cycle } from './graph';
export { generate, generatorOf, GENERATORS, GENERATOR_USAGE, GENERATOR_HELP, thesisTopology, barabasiAlbertTree } from './generators';
export { loadTopology, topologyInput, type LoadOptions } from './load';
export { parseTotalWork, withTotalWork, workPerCall, type TotalWork } from './total-work';
export { topologyJsonSchema, topologyJsonSchemaText, SCHEMA_FILE } from './json-schema';
export { activeTeams, needsPaymentServer, paysUpstreams, workerConfigOf, processMode } from './roles';
export { makeCredentials, type AccountCredentials, type Credentials } from './credentials';
export {
  startTopology,
  describeUrls,
  formatWei,
  type StartTopologyOptions,
  type RunningTopology,
  type TopologyUrls,
} from './builder/start';
export {
  spawnTs,
  DEFAULT_NODE_FLAGS,
  defaultNodeFlags,
  killSpawnedChildren,
  waitHealthy,
  stopChild,
  REPO_ROOT,
  type NetworkProcess,
} from './builder/processes';
export type { InProcessPart, PartKind } from './builder/in-process';
export { paymentServerEnv, serviceEnv, ENTRY_OF, type EnvContext } from './builder/env';
export { composeFiles, composeFileNames, composePorts, envStem, type ComposeFile, type ComposeOptions } from './compose/writer';
export {
  stackFile,
  stackFileName,
  stackEnv,
  secretValues,
  freshStackSettings,
  writeSecretFiles,
  constraintsOf,
  interpolate,
  SECRETS_DIR_VARIABLE,
  type StackFile,
  type StackSecret,
  type StackOptions,
} from './compose/stack';
