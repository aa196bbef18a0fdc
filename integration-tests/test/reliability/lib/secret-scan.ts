/**
 * Scans text (log lines, response bodies) for secrets: private keys and bearer tokens. Generic on purpose, so that
 * the same scanner can be pointed at the logs of the services and of any other process.
 *
 * A private key is looked for as hex in any case with or without 0x, as base64 / base64url of its 32 bytes, and
 * as the comma-separated list of its bytes (how a Buffer or Uint8Array looks when serialized to JSON); a token as
 * itself and as base64.
 */

export interface Secret {
  /** What the secret is, for the report (never the secret itself). */
  label: string;
  kind: 'privateKey' | 'token' | 'other';
  value: string;
}

export interface TextSource {
  /** Where the text came from: a process name, "response GET /channels", … */
  source: string;
  text: string;
}

export interface SecretHit {
  label: string;
  source: string;
  /** The form in which the secret was found (hex, base64, bytes…). */
  form: string;
  /** A few characters around the hit with the secret itself masked. */
  context: string;
}

function needles(secret: Secret): { form: string; needle: string; caseInsensitive: boolean }[] {
  if (secret.kind === 'privateKey') {
    const hex = secret.value.replace(/^0x/i, '').toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`secret ${secret.label} is not a 32-byte hex private key`);
    const bytes = Buffer.from(hex, 'hex');
    return [
      { form: 'hex', needle: hex, caseInsensitive: true },
      { form: 'base64', needle: bytes.toString('base64').replace(/=+$/, ''), caseInsensitive: false },
      { form: 'base64url', needle: bytes.toString('base64url'), caseInsensitive: false },
      { form: 'bytes', needle: [...bytes].join(','), caseInsensitive: false },
    ];
  }
  const out = [{ form: 'raw', needle: secret.value, caseInsensitive: false }];
  if (secret.value.length >= 8)
    out.push({ form: 'base64', needle: Buffer.from(secret.value).toString('base64').replace(/=+$/, ''), caseInsensitive: false });
  return out;
}

/** Every place where one of `secrets` occurs in `sources`; empty when none does. */
export function findSecrets(sources: Iterable<TextSource>, secrets: Secret[]): SecretHit[] {
  const prepared = secrets.flatMap((s) => needles(s).map((n) => ({ ...n, label: s.label, lower: n.needle.toLowerCase() })));
  const hits: SecretHit[] = [];
  for (const { source, text } of sources) {
    // JSON escapes and whitespace inside byte lists would hide a match; compare against a squeezed copy too.
    const variants = [text, text.replace(/\s+/g, '')];
    for (const n of prepared) {
      for (const variant of variants) {
        const haystack = n.caseInsensitive ? variant.toLowerCase() : variant;
        const at = haystack.indexOf(n.caseInsensitive ? n.lower : n.needle);
        if (at < 0) continue;
        const context = (
          variant.slice(Math.max(0, at - 40), at) +
          '<SECRET>' +
          variant.slice(at + n.needle.length, at + n.needle.length + 40)
        ).replace(/\n/g, ' ');
        hits.push({ label: n.label, source, form: n.form, context });
        break;
      }
    }
  }
  return hits;
}

/** Collects text from many places (child process output, HTTP responses) for one scan at the end of a test. */
export class TextCollector {
  private readonly items: TextSource[] = [];
  private bytes = 0;

  constructor(private readonly maxBytes = 200 * 1024 * 1024) {}

  add(source: string, text: string): void {
    if (text.length === 0) return;
    this.bytes += text.length;
    if (this.bytes > this.maxBytes) throw new Error(`TextCollector: more than ${this.maxBytes} bytes collected`);
    this.items.push({ source, text });
  }

  /** Everything collected so far. */
  all(): TextSource[] {
    return this.items;
  }

  /** Only what came from sources whose name starts with `prefix`. */
  from(prefix: string): TextSource[] {
    return this.items.filter((i) => i.source.startsWith(prefix));
  }

  get size(): number {
    return this.items.length;
  }
}
