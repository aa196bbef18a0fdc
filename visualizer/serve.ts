/**
 * `npm run visualizer`: builds the page if its sources changed, then serves visualizer/dist.
 * It runs in the visualizer's Docker image too, where the devkit's command-line parser is not installed: hence its own.
 */
import { parseArgs } from 'node:util';
import { buildIfNeeded, DIST_DIR } from './server/build';
import { startStaticServer } from './server/static-server';

const USAGE = `usage: npm run visualizer -- [options]

Builds the chain visualizer page if its sources changed, then serves visualizer/dist.

options:
  --port <n>      port to listen on (env VISUALIZER_PORT, default 8090)
  --host <h>      address to listen on (env VISUALIZER_HOST, default 127.0.0.1)
  --build-only    build if needed, then exit
  --rebuild       build even when dist/ is up to date
  -h, --help      print this help
`;

function readCommandLine() {
  try {
    const { values } = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'build-only': { type: 'boolean', default: false },
        rebuild: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
    if (values.help) {
      process.stdout.write(USAGE);
      process.exit(0);
    }
    return values;
  } catch (e) {
    process.stderr.write(`npm run visualizer: ${(e as Error).message.split(/\.\s/)[0]}\n\n${USAGE}`);
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const options = readCommandLine();
  const built = await buildIfNeeded({ force: options.rebuild });
  if (!built) console.log('visualizer: dist/ is up to date');
  if (options['build-only']) return;

  const port = Number(options.port ?? process.env.VISUALIZER_PORT ?? 8090);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port: ${port}`);
  const host = options.host ?? process.env.VISUALIZER_HOST ?? '127.0.0.1';
  const server = await startStaticServer({ root: DIST_DIR, host, port });
  console.log(`visualizer: serving ${DIST_DIR} at ${server.url}/`);
  console.log(`  e.g. ${server.url}/?rpc=${encodeURIComponent('http://127.0.0.1:8545')}`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(`visualizer: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
