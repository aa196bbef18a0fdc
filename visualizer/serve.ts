/**
 * `npm run visualizer`: builds the page if its sources changed, then serves visualizer/dist.
 * Options: --port <n> (env VISUALIZER_PORT, default 8090), --host <h> (env VISUALIZER_HOST, default 127.0.0.1),
 * --build-only, --rebuild.
 */
import { buildIfNeeded, DIST_DIR } from './server/build';
import { startStaticServer } from './server/static-server';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const built = await buildIfNeeded({ force: process.argv.includes('--rebuild') });
  if (!built) console.log('visualizer: dist/ is up to date');
  if (process.argv.includes('--build-only')) return;

  const port = Number(option('port') ?? process.env.VISUALIZER_PORT ?? 8090);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port: ${port}`);
  const host = option('host') ?? process.env.VISUALIZER_HOST ?? '127.0.0.1';
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
