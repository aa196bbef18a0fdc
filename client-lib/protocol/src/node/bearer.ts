import { createHash } from 'node:crypto';

/** SHA-256 of a bearer token: what is kept and compared (in constant time), never the token itself. */
export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** The digest of the token in an `Authorization: Bearer <token>` header, or null when it carries none. */
export function bearerDigest(header: string | undefined): Buffer | null {
  const m = header ? /^Bearer ([^\s]{1,512})$/i.exec(header) : null;
  return m ? tokenDigest(m[1]!) : null;
}
