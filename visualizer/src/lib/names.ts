import { shortAddress } from './format';

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

export function isAddress(value: string): boolean {
  return ADDRESS.test(value);
}

/**
 * Human names for addresses, from several sources. A later source never overrides an earlier one, so names
 * the user gave in the URL win over names a payment server reports.
 */
export class AddressBook {
  private readonly names = new Map<string, string>();

  set(address: string, name: string): void {
    const key = address.toLowerCase();
    if (!isAddress(key) || !name || this.names.has(key)) return;
    this.names.set(key, name);
  }

  get(address: string): string | undefined {
    return this.names.get(address.toLowerCase());
  }

  /** The name, or the short address when none is known. */
  label(address: string): string {
    return this.get(address) ?? shortAddress(address.toLowerCase());
  }

  entries(): [string, string][] {
    return [...this.names.entries()];
  }
}

/**
 * Parses `0xabc…:public,0xdef…:random-number`. Entries that are not `address:name` are returned in `invalid`
 * so the page can say which ones it ignored.
 */
export function parseNames(text: string): { names: [string, string][]; invalid: string[] } {
  const names: [string, string][] = [];
  const invalid: string[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (!entry) continue;
    const colon = entry.indexOf(':');
    const address = colon > 0 ? entry.slice(0, colon).trim() : '';
    const name = colon > 0 ? entry.slice(colon + 1).trim() : '';
    if (isAddress(address) && name) names.push([address.toLowerCase(), name]);
    else invalid.push(entry);
  }
  return { names, invalid };
}

export function formatNames(names: [string, string][]): string {
  return names.map(([address, name]) => `${address}:${name}`).join(',');
}
