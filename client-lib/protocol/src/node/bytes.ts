/** Buffer helpers for the hot path (ethers' helpers validate far more than we need). */

export function hexToBuffer(hex: string): Buffer {
  return Buffer.from(hex.slice(2), 'hex');
}

export function bufferToHex(buf: Uint8Array): string {
  return '0x' + Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('hex');
}

/** A 32-byte big-endian word of an unsigned integer. */
export function uint256Word(value: bigint): Buffer {
  if (value < 0n || value >= 1n << 256n) throw new RangeError('uint256 out of range');
  return Buffer.from(value.toString(16).padStart(64, '0'), 'hex');
}

/** A 32-byte word of a 20-byte address, left-padded with zeros. */
export function addressWord(address: string): Buffer {
  const word = Buffer.alloc(32);
  word.write(address.slice(2), 12, 'hex');
  return word;
}
