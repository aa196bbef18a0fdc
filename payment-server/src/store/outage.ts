/** SQLSTATE classes and codes of a database that is gone or not ready: connection exceptions, shutdown, recovery. */
const OUTAGE_SQLSTATES = /^(08|57P0[1-3])/;
const OUTAGE_SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/**
 * Whether an error means the database cannot be reached (as opposed to a bug or a refused statement). Such a
 * request is answered 503 STORE_UNAVAILABLE (a retry may work; its write may or may not have committed, so a retry
 * that must not count twice carries an idempotency key).
 */
export function isStoreOutage(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && (OUTAGE_SQLSTATES.test(code) || OUTAGE_SOCKET_ERRORS.has(code))) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(e.message);
}
