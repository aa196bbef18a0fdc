/**
 * The compose scenarios' settings: compose/.env when present, else compose/.env.example (public development keys,
 * never for real funds). `freshEnv()` makes a new set of keys and tokens for compose/.env, with the contract
 * address that the deployer key's first transaction creates.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Wallet, getCreateAddress } from 'ethers';
import { REPO } from './context';

export const COMPOSE_DIR = path.join(REPO, 'compose');
export const ENV_FILE = path.join(COMPOSE_DIR, '.env');
export const ENV_EXAMPLE = path.join(COMPOSE_DIR, '.env.example');

/** compose/.env if the user made one, else the example. */
export function envFilePath(): string {
  return existsSync(ENV_FILE) ? ENV_FILE : ENV_EXAMPLE;
}

/** KEY=value lines; no quoting or interpolation (what Compose 1.29 and v2 both read the same way). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}

export function readEnv(file = envFilePath()): Record<string, string> {
  return parseEnvFile(readFileSync(file, 'utf8'));
}

export const contractAddressOf = (deployerKey: string) =>
  getCreateAddress({ from: new Wallet(deployerKey).address, nonce: 0 }).toLowerCase();

const key = () => '0x' + randomBytes(32).toString('hex');
const token = () => randomBytes(24).toString('base64url');

/** The example file with every key, token and the contract address replaced by fresh ones. */
export function freshEnv(example = readFileSync(ENV_EXAMPLE, 'utf8')): string {
  const values: Record<string, string> = {};
  for (const name of Object.keys(parseEnvFile(example))) {
    if (name.endsWith('_KEY')) values[name] = key();
    else if (name.endsWith('_TOKEN')) values[name] = token();
  }
  values.CONTRACT_ADDRESS = contractAddressOf(values.DEPLOYER_KEY!);
  return example
    .split('\n')
    .map((line) => {
      const m = /^([A-Z0-9_]+)=/.exec(line);
      return m && values[m[1]!] !== undefined ? `${m[1]}=${values[m[1]!]}` : line;
    })
    .join('\n');
}
