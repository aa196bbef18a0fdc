const HEX_RE = /^0x[0-9a-fA-F]*$/;

/** Whether `value` is 0x-prefixed hex of whole bytes (exactly `bytes` of them when given). */
export function isHex(value: string, bytes?: number): boolean {
  if (!HEX_RE.test(value)) return false;
  return bytes === undefined ? value.length % 2 === 0 : value.length === 2 + bytes * 2;
}
