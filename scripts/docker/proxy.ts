/**
 * The proxy image's entry point: the round-robin HTTP proxy (scripts/topology/src/proxy/round-robin.ts) in front of
 * the replicas of a service or payment server in a compose file, where each replica is its own container on its
 * own port (what Swarm's DNS round robin does in a stack file). Configured from the environment:
 *   PROXY_TARGETS   comma-separated http:// URLs of the replicas (required)
 *   PROXY_HOST / PROXY_PORT   default 0.0.0.0 / 8080
 */
import { startRoundRobinProxy } from '../topology/src/proxy/round-robin';

const USAGE = `usage: node --import tsx scripts/docker/proxy.ts
Forwards each request to the next of PROXY_TARGETS (comma-separated http:// URLs); a replica that refuses or
resets the connection is skipped for a second. PROXY_HOST (default 0.0.0.0), PROXY_PORT (default 8080).`;

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    console.log(USAGE);
    return;
  }
  const targets = (process.env.PROXY_TARGETS ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (targets.length === 0) throw new Error('PROXY_TARGETS is empty: give the replicas as comma-separated http:// URLs');
  const bad = targets.find((t) => !/^http:\/\/[^/\s]+(:\d+)?\/?$/.test(t));
  if (bad) throw new Error(`PROXY_TARGETS entry "${bad}" is not an http://host:port URL`);
  const port = Number(process.env.PROXY_PORT || 8080);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`PROXY_PORT must be a port number, got "${process.env.PROXY_PORT}"`);
  const proxy = await startRoundRobinProxy({ port, host: process.env.PROXY_HOST || '0.0.0.0', targets });
  console.log(JSON.stringify({ msg: 'proxy listening', port, targets }));
  const stop = () => void proxy.stop().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
