/**
 * Development and test kit: local chains (ganache in process, anvil as a child), free ports, the compiled test
 * contracts. Never a dependency of product code at run time. The scripts' command-line parser is `@chanpay/devkit/cli`.
 */
export { startEmbeddedChain, type EmbeddedChain, type EmbeddedChainOptions, type DevAccount } from './ganache';
export { startAnvil, anvilBinary } from './anvil';
export { freePort } from './ports';
export { TEST_CONTRACTS, TEST_ARTIFACTS_DIR, loadTestArtifact, type TestContractName, type Artifact } from './artifacts';
export { startPostgres, postgresUnavailable, postgresBinDir, type ThrowawayPostgres } from './postgres';
