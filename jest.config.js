/** One jest run over every workspace, so that `npm test` prints a single summary. */
const swc = ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }];

const workspace = (name, dir, extra = {}) => ({
  displayName: name,
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  setupFiles: ['<rootDir>/jest.setup.js'],
  testMatch: [`<rootDir>/${dir}/test/**/*.test.ts`],
  ...extra,
});

module.exports = {
  testTimeout: 120_000,
  maxWorkers: 2,
  projects: [
    workspace('protocol', 'client-lib/protocol'),
    workspace('client-lib', 'client-lib'),
    workspace('payment-server', 'payment-server'),
    workspace('services', 'services/*'),
    workspace('integration-tests', 'integration-tests'),
    workspace('visualizer', 'visualizer'),
    workspace('scripts', 'scripts'),
    workspace('topology', 'scripts/topology'),
  ],
};
