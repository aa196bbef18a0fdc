/**
 * Who may import whom (docs/contributing.md, "The map"). Checked by `npm run lint:deps` and by
 * scripts/test/dependencies.test.ts (unit lane and `npm test`). Paths are the real files an import resolves to,
 * so `@chanpay/client-lib` and `../../client-lib/src` are the same dependency here.
 */

/** Each workspace's own folder and its sources. `client-lib` excludes its nested `protocol` and `telemetry` packages. */
const WORKSPACES = [
  { name: 'protocol', folder: '^client-lib/protocol/', src: '^client-lib/protocol/src/' },
  { name: 'telemetry', folder: '^client-lib/telemetry/', src: '^client-lib/telemetry/src/' },
  { name: 'client-lib', folder: '^client-lib/(?!protocol/|telemetry/)', src: '^client-lib/src/' },
  { name: 'payment-server', folder: '^payment-server/', src: '^payment-server/src/' },
  { name: 'devkit', folder: '^scripts/devkit/', src: '^scripts/devkit/src/' },
  { name: 'visualizer', folder: '^visualizer/', src: '^visualizer/src/' },
  { name: 'integration-tests', folder: '^integration-tests/', src: '^integration-tests/src/' },
];

const PRODUCT_SRC =
  '^(client-lib/telemetry/src|client-lib/protocol/src|client-lib/src|payment-server/src|services/[^/]+/src|visualizer/src|integration-tests/src)/';
const PROTOCOL = '^client-lib/protocol/src/';
const PROTOCOL_ROOT = '^client-lib/protocol/src/(?!node/)';
const PROTOCOL_NODE = '^client-lib/protocol/src/node/';
const CLIENT_LIB = '^client-lib/src/';
const DEVKIT = '^scripts/devkit/';
/** The payment server loads the development chain only when no PS_RPC_URL is given, and says so if it is missing. */
const GUARDED_DEVKIT_REQUIRE = '^payment-server/src/chain/dev-chain\\.ts$';

const OTHER_WORKSPACES_THAN_PROTOCOL = '^(client-lib/(?!protocol/)|(payment-server|services|scripts|visualizer|integration-tests)/)';

const forbidden = [
  {
    name: 'protocol-imports-no-workspace',
    comment: '@chanpay/protocol is the bottom layer: everyone imports it, it imports no other workspace.',
    severity: 'error',
    from: { path: PROTOCOL },
    to: { path: OTHER_WORKSPACES_THAN_PROTOCOL },
  },
  {
    name: 'protocol-root-is-browser-safe',
    comment: 'The root entry of @chanpay/protocol runs in browsers: no node: modules and nothing from ./node (the native cryptography).',
    severity: 'error',
    from: { path: PROTOCOL_ROOT },
    to: { dependencyTypes: ['core'] },
  },
  {
    name: 'protocol-root-not-node-entry',
    comment: 'The root entry of @chanpay/protocol must not pull in @chanpay/protocol/node.',
    severity: 'error',
    from: { path: PROTOCOL_ROOT },
    to: { path: PROTOCOL_NODE },
  },
  {
    name: 'telemetry-imports-no-workspace',
    comment:
      '@chanpay/telemetry (tracing set-up and span helpers) is used by the SDK and the payment server alike: it imports no workspace.',
    severity: 'error',
    from: { path: '^client-lib/telemetry/src/' },
    to: { path: '^(client-lib/(?!telemetry/)|(payment-server|services|scripts|visualizer|integration-tests)/)' },
  },
  {
    name: 'client-lib-imports-protocol-only',
    comment: 'The SDK depends on the protocol (and the tracing of @chanpay/telemetry) and on no other workspace.',
    severity: 'error',
    from: { path: CLIENT_LIB },
    to: { path: '^(payment-server|services|scripts|visualizer|integration-tests)/' },
  },
  {
    name: 'payment-server-imports-protocol-only',
    comment: 'The payment server depends on the protocol (and @chanpay/telemetry), not on the SDK (consumer, koa middleware, service kit).',
    severity: 'error',
    from: { path: '^payment-server/src/' },
    to: { path: '^(client-lib/src|services|visualizer|integration-tests)/|^scripts/(?!devkit/)' },
  },
  {
    name: 'services-import-client-lib-and-protocol-only',
    comment: 'A service is built on the SDK and the protocol; it talks to the payment server and to other services over HTTP only.',
    severity: 'error',
    from: { path: '^services/[^/]+/src/' },
    to: { path: '^(payment-server|scripts|visualizer|integration-tests)/' },
  },
  {
    name: 'services-do-not-import-each-other',
    comment: 'Services call one another over HTTP (paid), never through imports.',
    severity: 'error',
    from: { path: '^services/([^/]+)/src/' },
    to: { path: '^services/', pathNot: '^services/$1/' },
  },
  {
    name: 'visualizer-page-imports-protocol-only',
    comment: 'The visualizer page runs in the browser: the protocol (browser entry) and npm packages only.',
    severity: 'error',
    from: { path: '^visualizer/src/' },
    to: {
      path: `^(client-lib/src|client-lib/telemetry|payment-server|services|scripts|integration-tests)/|${PROTOCOL_NODE}|^visualizer/(server|test|serve\\.ts)`,
    },
  },
  {
    name: 'visualizer-page-no-node-modules',
    comment: 'The visualizer page runs in the browser: no node: modules.',
    severity: 'error',
    from: { path: '^visualizer/src/' },
    to: { dependencyTypes: ['core'] },
  },
  {
    name: 'devkit-no-product-code-at-run-time',
    comment: 'The devkit (chains, ports, test contracts) must not load product code, except the protocol.',
    severity: 'error',
    from: { path: DEVKIT },
    to: { path: '^(client-lib/src|payment-server|services|visualizer|integration-tests)/', dependencyTypesNot: ['type-only'] },
  },
  {
    name: 'product-code-does-not-import-devkit',
    comment: 'The devkit is a development dependency; product code never loads it (the dev chain loader is the one guarded exception).',
    severity: 'error',
    from: { path: PRODUCT_SRC, pathNot: GUARDED_DEVKIT_REQUIRE },
    to: { path: DEVKIT },
  },
  {
    name: 'consumer-does-not-import-provider',
    comment: 'In the SDK, the paying side (consumer/) and the charging side (provider/) share only the protocol.',
    severity: 'error',
    from: { path: '^client-lib/src/consumer/' },
    to: { path: '^client-lib/src/provider/' },
  },
  {
    name: 'no-circular-product-code',
    comment: 'Product code is layered: no import cycles (a cycle of type-only imports does not exist at run time).',
    severity: 'error',
    from: { path: PRODUCT_SRC },
    to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
  },
  {
    name: 'no-unresolvable-import',
    comment: 'Every import resolves to a file or an installed package.',
    severity: 'error',
    from: {},
    to: { couldNotResolve: true },
  },
  // A workspace reaches another through its package name and `exports` map, never by a relative path into its src/.
  ...WORKSPACES.map(({ name, folder, src }) => ({
    name: `no-relative-path-into-${name}-src`,
    comment: `Import the ${name} package by its name, not by a path into its src/.`,
    severity: 'error',
    from: { pathNot: folder },
    to: { path: src, dependencyTypes: ['local'], dependencyTypesNot: ['aliased'] },
  })),
  {
    name: 'no-relative-path-into-a-service-src',
    comment: 'Import a service by its package name, not by a path into its src/.',
    severity: 'error',
    from: { pathNot: '^services/' },
    to: { path: '^services/[^/]+/src/', dependencyTypes: ['local'], dependencyTypesNot: ['aliased'] },
  },
  {
    name: 'no-relative-path-into-another-service-src',
    comment: 'Import a service by its package name, not by a path into its src/.',
    severity: 'error',
    from: { path: '^(services/[^/]+)/' },
    to: { path: '^services/[^/]+/src/', pathNot: '^$1/', dependencyTypes: ['local'], dependencyTypesNot: ['aliased'] },
  },
  {
    name: 'no-relative-path-into-other-tests',
    comment: "A workspace's test helpers are its own; shared ones belong in the devkit.",
    severity: 'warn',
    from: { path: '^(services/[^/]+|payment-server|client-lib|visualizer)/test/' },
    to: { path: '^integration-tests/test/' },
  },
];

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist|coverage|bench-results)/|/artifacts/.*\\.json$' },
    tsPreCompilationDeps: true,
    combinedDependencies: false,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['require', 'node', 'default'],
      extensions: ['.ts', '.js', '.cjs', '.mjs', '.json'],
      mainFields: ['main', 'types'],
    },
  },
};
