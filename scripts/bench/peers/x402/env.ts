/** Reads the settings of the x402 peer's child processes from their environment, with one clear error each. */
import { getAddress, isAddress, type Address, type Hex } from 'viem';

export function envString(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
}

export function envPort(name = 'PORT'): number {
  const port = Number(process.env[name] ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${name} must be a port number, got "${process.env[name]}"`);
  return port;
}

export function envAddress(name: string): Address {
  const v = envString(name);
  if (!isAddress(v, { strict: false })) throw new Error(`${name} must be an address, got "${v}"`);
  return getAddress(v);
}

export function envKey(name: string): Hex {
  const v = envString(name);
  if (!/^0x[0-9a-fA-F]{64}$/.test(v)) throw new Error(`${name} must be a 0x-prefixed 32-byte hex key`);
  return v as Hex;
}

export function envPositiveBigint(name: string): bigint {
  const v = envString(name);
  if (!/^[1-9][0-9]*$/.test(v)) throw new Error(`${name} must be a positive integer, got "${v}"`);
  return BigInt(v);
}

export function envChoice<T extends string>(name: string, choices: readonly T[]): T {
  const v = envString(name);
  if (!(choices as readonly string[]).includes(v)) throw new Error(`${name} must be one of ${choices.join(', ')}, got "${v}"`);
  return v as T;
}

/** Stops on SIGTERM / SIGINT, forcing an exit after 10 s. */
export function exitOnSignal(stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), 10_000).unref();
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
