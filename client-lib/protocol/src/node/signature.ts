import * as secp from 'secp256k1';
import { keccak256 } from './keccak';
import { isHex } from '../hex';
import { bufferToHex, hexToBuffer } from './bytes';
import type { Address } from '../address';

/** Half the secp256k1 group order: signatures with a larger s are malleable copies and the contract rejects them. */
const HALF_N = Buffer.from('7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0', 'hex');

/** Signs a 32-byte digest; returns the 65-byte r‖s‖v signature (v = 27 or 28) as 0x-hex. */
export function signDigest(digest: Uint8Array, privateKey: Uint8Array): string {
  const { signature, recid } = secp.ecdsaSign(digest, privateKey);
  const out = Buffer.allocUnsafe(65);
  out.set(signature, 0);
  out[64] = 27 + recid;
  return bufferToHex(out);
}

export type RecoverResult = { ok: true; address: Address } | { ok: false; reason: string };

/**
 * Recovers the signer of a digest with the native libsecp256k1 binding (about 60 µs). Accepts exactly what
 * OpenZeppelin's ECDSA accepts: 65 bytes, v of 27 or 28, and a low s.
 */
export function recoverSigner(digest: Uint8Array, signatureHex: string): RecoverResult {
  if (!isHex(signatureHex, 65)) return { ok: false, reason: 'signature must be 65 bytes of hex' };
  const sig = hexToBuffer(signatureHex);
  const v = sig[64]!;
  if (v !== 27 && v !== 28) return { ok: false, reason: 'signature v must be 27 or 28' };
  const s = sig.subarray(32, 64);
  if (Buffer.compare(s, HALF_N) > 0) return { ok: false, reason: 'signature s is not canonical' };
  let pub: Uint8Array;
  try {
    pub = secp.ecdsaRecover(sig.subarray(0, 64), v - 27, digest, false);
  } catch {
    return { ok: false, reason: 'signature does not recover to a public key' };
  }
  return { ok: true, address: publicKeyToAddress(pub) };
}

/** The Ethereum address of an uncompressed (65-byte) public key. */
export function publicKeyToAddress(publicKey: Uint8Array): Address {
  return bufferToHex(keccak256(publicKey.subarray(1)).subarray(12)) as Address;
}

export function addressOfPrivateKey(privateKey: Uint8Array): Address {
  return publicKeyToAddress(secp.publicKeyCreate(privateKey, false));
}

/** Whether the native libsecp256k1 binding is in use (the package silently falls back to pure JS). */
export function nativeCryptoLoaded(): boolean {
  try {
    require('secp256k1/bindings');
    return true;
  } catch {
    return false;
  }
}
