/**
 * Just enough YAML for compose files in the repository's own style (flow sequences on one line, which the
 * host-network rewrite of scripts/docker relies on; comments; a `<<: *build` merge). Plain scalars where YAML
 * reads them back unchanged, quoted otherwise.
 */

/** YAML 1.1 words Compose 1.29 would read as booleans or null. */
const SPECIAL_WORDS = /^(y|n|yes|no|on|off|true|false|null|~)$/i;

export function scalar(value: string): string {
  if (value === '' || SPECIAL_WORDS.test(value) || /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value)) return `"${value}"`;
  const plain =
    /^[A-Za-z0-9_./$][A-Za-z0-9_./:${}?,@=+()' -]*$/.test(value) &&
    !value.includes(': ') &&
    !value.includes(' #') &&
    !value.endsWith(':') &&
    !value.endsWith(' ');
  return plain ? value : `'${value.replace(/'/g, "''")}'`;
}

/** `["a", "b"]` */
export function flowList(items: string[]): string {
  return `[${items.map((i) => `"${i.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(', ')}]`;
}

/** A mapping of scalars, one per line, at `indent` spaces. */
export function block(indent: number, entries: [string, string][]): string[] {
  const pad = ' '.repeat(indent);
  return entries.map(([k, v]) => `${pad}${k}: ${scalar(v)}`);
}

/** Text as `# ` lines of at most 115 characters. */
export function comment(text: string): string[] {
  const lines: string[] = [];
  let line = '#';
  for (const word of text.split(' ')) {
    if (line.length + 1 + word.length > 115 && line !== '#') {
      lines.push(line);
      line = '#';
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines;
}
