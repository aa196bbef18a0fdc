/**
 * The trivial server that `npm run bench:loadgen` measures the load generator against: a keep-alive node:http
 * server on 127.0.0.1 answering every request with 2 bytes, as cheap as a Node server gets. Run as a child so
 * that its CPU is counted apart from the generator's; prints `{"port":N}` once listening, stops on SIGTERM.
 */
import http from 'node:http';

const server = http.createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
  res.end('ok');
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
