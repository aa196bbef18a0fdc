/** The protocol's cryptography on Node's native bindings (libsecp256k1, XKCP keccak). Not for browsers. */
export { keccak256, keccak256Utf8, nativeKeccakLoaded } from './keccak';
export { signDigest, recoverSigner, publicKeyToAddress, addressOfPrivateKey, nativeCryptoLoaded, type RecoverResult } from './signature';
export { VoucherHasher, DOMAIN_NAME, DOMAIN_VERSION, VOUCHER_TYPE, VOUCHER_TYPES, type VoucherDomain } from './eip712';
export { VoucherSigner, voucherSigner } from './voucher-signer';
export { channelIdOf } from './channel-id';
export { makeTicketChain, chainReaches } from './ticket-chain';
export { hexToBuffer, bufferToHex, uint256Word, addressWord } from './bytes';
export { tokenDigest, bearerDigest } from './bearer';
export { readSecretEnv, SecretEnvError } from './secret-env';
