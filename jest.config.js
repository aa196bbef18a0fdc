/**
 * One jest run over every workspace, so that `npm test` prints a single summary.
 * The `unit` project is the fast lane (`npm run test:unit`): no chain, no Docker, no browser. Its files are left
 * out of the workspace projects, so that `npm test` runs each test once.
 */
const fs = require('node:fs');
const path = require('node:path');

const swc = ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }];

const UNIT_TESTS = [
  '**/test/unit/**/*.test.ts',
  'client-lib/protocol/test/*.test.ts',
  'client-lib/test/admin-token.test.ts',
  'payment-server/test/server/config.test.ts',
  'services/public/test/upstream-errors.test.ts',
  'integration-tests/test/docker-deps.test.ts',
  'visualizer/test/{balances-chart,channels,costs,decode,format-config,graph,windows,static-server}.test.ts',
  'scripts/test/dependencies.test.ts',
].map((glob) => path.join(__dirname, glob));

const project = (name, testMatch) => ({
  displayName: name,
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  setupFiles: ['<rootDir>/jest.setup.js'],
  testMatch,
});

/** PostgreSQL's server programs are here (Debian's package, or .ci/setup-postgres.sh): the store's second lane runs. */
const pgRoot = '/usr/lib/postgresql';
const hasPostgres =
  Boolean(process.env.CHANPAY_PG_BIN) ||
  (fs.existsSync(pgRoot) && fs.readdirSync(pgRoot).some((major) => fs.existsSync(path.join(pgRoot, major, 'bin', 'initdb'))));

/**
 * The fault suite's tests whose conservation checks also run with every payment server on PostgreSQL
 * (CHANPAY_FAULTS_STORE=postgres, the integration-tests-pg project), and the replica fault tests, which need it.
 */
const FAULTS_ON_POSTGRES = ['server-crash', 'chain-outage'].map((f) =>
  path.join(__dirname, `integration-tests/test/reliability/${f}.test.ts`),
);
const PG_ONLY = [path.join(__dirname, 'integration-tests/test/reliability/replica-faults.test.ts')];

const workspace = (name, dir) =>
  project(name, [path.join(__dirname, dir, 'test/**/*.test.ts'), ...[...UNIT_TESTS, ...PG_ONLY].map((glob) => `!${glob}`)]);

module.exports = {
  testTimeout: 120_000,
  maxWorkers: 2,
  projects: [
    project('unit', UNIT_TESTS),
    workspace('protocol', 'client-lib/protocol'),
    workspace('client-lib', 'client-lib'),
    workspace('payment-server', 'payment-server'),
    // The payment server's API tests with every server on PostgreSQL (PS_DB_URL) instead of SQLite.
    ...(hasPostgres
      ? [
          {
            ...project('payment-server-pg', [
              path.join(__dirname, 'payment-server/test/server/**/*.test.ts'),
              ...UNIT_TESTS.map((glob) => `!${glob}`),
            ]),
            setupFiles: ['<rootDir>/jest.setup.js', '<rootDir>/payment-server/test/server/on-postgres.setup.js'],
          },
          {
            ...project('integration-tests-pg', [...FAULTS_ON_POSTGRES, ...PG_ONLY]),
            setupFiles: ['<rootDir>/jest.setup.js', '<rootDir>/integration-tests/test/reliability/on-postgres.setup.js'],
          },
        ]
      : []),
    workspace('services', 'services/*'),
    workspace('integration-tests', 'integration-tests'),
    workspace('visualizer', 'visualizer'),
    workspace('scripts', 'scripts'),
    workspace('topology', 'scripts/topology'),
  ],
};
