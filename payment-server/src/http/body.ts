import type { Context } from 'koa';
import { ChanpayError } from '@chanpay/protocol';

export const MAX_BODY_BYTES = 64 * 1024;

/** Reads a JSON body with a hard size limit; every failure is a 4xx with its own code. */
export async function readJson(ctx: Context, limit = MAX_BODY_BYTES): Promise<unknown> {
  const tooLarge = () => {
    // The rest of the body is not read, so the connection cannot carry another request: close it.
    ctx.set('Connection', 'close');
    return new ChanpayError('PAYLOAD_TOO_LARGE', `body larger than ${limit} bytes`);
  };
  const length = Number(ctx.get('content-length') || 0);
  if (length > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk);
  }
  if (size === 0) return {};
  const type = ctx.get('content-type');
  if (type && !/^application\/(.+\+)?json\b/i.test(type)) {
    throw new ChanpayError('UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new ChanpayError('MALFORMED_JSON', 'the body is not valid JSON');
  }
}
