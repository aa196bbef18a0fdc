import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { readSecretEnv } from '@chanpay/protocol/node';
import { CONFIG_FILE_VARIABLE, CONFIG_VARIABLES, type ConfigVariable } from './config-env';

const hex32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'must be 0x followed by 64 hex digits');
const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte hex address')
  .transform((a) => a.toLowerCase());
const wei = z
  .union([z.string().regex(/^\d{1,78}$/, 'must be a decimal integer'), z.number().int().nonnegative(), z.bigint().nonnegative()])
  .transform((v) => BigInt(v));
const accountName = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'letters, digits, _ and - only');

const AccountSchema = z
  .object({
    name: accountName,
    /** The account's transaction key. Prefer `keystore`, or pass keys through the environment (PS_ACCOUNTS). */
    privateKey: hex32.optional(),
    keystore: z.object({ path: z.string(), password: z.string().optional(), passwordEnv: z.string().optional() }).optional(),
    /** A separate hot key that signs vouchers for this account's channels (remote mode). Defaults to the account key. */
    voucherKey: hex32.optional(),
  })
  .refine((a) => (a.privateKey ? 1 : 0) + (a.keystore ? 1 : 0) === 1, 'give exactly one of privateKey or keystore');

const TokenSchema = z.object({
  token: z.string().regex(/^[A-Za-z0-9._~+/=-]{16,256}$/, 'at least 16 characters of [A-Za-z0-9._~+/=-]'),
  accounts: z.array(accountName).min(1),
});

export const ConfigSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(3000),
    /** Any Ethereum JSON-RPC URL. Without one the server starts ganache in-process. */
    rpcUrl: z.url().optional(),
    embeddedChain: z
      .object({
        port: z.number().int().min(0).max(65535).default(0),
        chainId: z.number().int().positive().default(1337),
        balanceEth: z.number().positive().default(1000),
      })
      .default({ port: 0, chainId: 1337, balanceEth: 1000 }),
    /** Attach to this PaymentChannels contract; without one the server deploys it. */
    contractAddress: address.optional(),
    /** First block to scan for events when attaching to an existing contract. */
    fromBlock: z.number().int().nonnegative().default(0),
    dbPath: z.string().min(1).default('data/payment-server.db'),
    /** PostgreSQL instead of the SQLite file: several payment servers of one team may share it. */
    dbUrl: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .optional(),
    /**
     * PostgreSQL: voucher records of concurrent calls committed together (`on`), or one transaction each (`off`,
     * the default: on the measured machine, CPU-bound, batching raised p99; docs/scaling.md).
     */
    dbBatch: z.enum(['on', 'off']).default('off'),
    /** `normal` survives a killed process; `full` also survives power loss (an fsync per commit). */
    dbSync: z.enum(['normal', 'full']).default('normal'),
    accounts: z.array(AccountSchema).min(1),
    tokens: z.array(TokenSchema).min(1),
    defaults: z
      .object({
        challengePeriod: z.number().int().positive().max(4_294_967_295).default(3600),
        minChallengePeriod: z.number().int().positive().default(60),
        minDeposit: wei.default(0n),
        /** Tokens a provider accepts payment in; the zero address is ETH. */
        acceptedTokens: z.array(address).default(['0x0000000000000000000000000000000000000000']),
      })
      .prefault({}),
    claim: z
      .object({
        /** Claim a channel once its unclaimed amount reaches this (0: no threshold). */
        thresholdWei: wei.default(0n),
        /** Claim whatever is unclaimed at least this often (0: never by time). */
        intervalSeconds: z.number().int().nonnegative().default(300),
        checkIntervalMs: z.number().int().positive().default(1000),
        batchMax: z.number().int().min(1).max(200).default(50),
      })
      .prefault({}),
    watcher: z
      .object({ pollIntervalMs: z.number().int().positive().default(500), maxBlockRange: z.number().int().positive().default(2000) })
      .prefault({}),
    chain: z
      .object({
        receiptPollMs: z.number().int().positive().default(25),
        txTimeoutMs: z.number().int().positive().default(120_000),
        rpcTimeoutMs: z.number().int().positive().default(10_000),
      })
      .prefault({}),
    statsWindowSeconds: z.number().int().positive().default(60),
    webhooks: z
      .object({ timeoutMs: z.number().int().positive().default(5000), maxAttempts: z.number().int().positive().default(20) })
      .prefault({}),
    /** Origins allowed to call the API from a browser (the visualizer). */
    corsOrigins: z.array(z.string()).default([]),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .superRefine((c, ctx) => {
    const names = new Set(c.accounts.map((a) => a.name));
    if (names.size !== c.accounts.length) ctx.addIssue({ code: 'custom', path: ['accounts'], message: 'account names must be unique' });
    c.tokens.forEach((t, i) =>
      t.accounts.forEach((n) => {
        if (!names.has(n)) ctx.addIssue({ code: 'custom', path: ['tokens', i, 'accounts'], message: `unknown account "${n}"` });
      }),
    );
    if (c.defaults.challengePeriod < c.defaults.minChallengePeriod) {
      ctx.addIssue({ code: 'custom', path: ['defaults', 'challengePeriod'], message: 'must be at least minChallengePeriod' });
    }
  });

export type ConfigInput = z.input<typeof ConfigSchema>;
export type Config = z.output<typeof ConfigSchema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function parseConfig(input: unknown): Config {
  const result = ConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new ConfigError(`invalid payment server configuration:\n${lines.join('\n')}`);
}

/**
 * Reads the configuration: the JSON file named by PS_CONFIG (optional), then environment overrides.
 * PS_ACCOUNTS = "name:0xkey[:0xvoucherKey],…" and PS_TOKENS = "token:account+account,…" keep secrets out of files;
 * PS_ACCOUNTS_FILE / PS_TOKENS_FILE read the same from a file instead (Docker secrets under /run/secrets).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  let raw: Record<string, unknown> = {};
  const file = env[CONFIG_FILE_VARIABLE];
  if (file) {
    try {
      raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new ConfigError(`cannot read ${CONFIG_FILE_VARIABLE} file ${file}: ${(e as Error).message}`);
    }
  }
  for (const variable of CONFIG_VARIABLES) {
    // Keys and tokens may come from a file (Docker secrets): PS_ACCOUNTS_FILE, PS_TOKENS_FILE.
    const text = variable.secret ? secretFromEnv(env, variable.name) : env[variable.name];
    const value = readVariable(variable, text);
    if (value === undefined) continue;
    const [key, sub] = variable.path;
    raw[key] = sub === undefined ? value : { ...((raw[key] as Record<string, unknown>) ?? {}), [sub]: value };
  }
  return parseConfig(raw);
}

/** The variable's value for the configuration; undefined when it is unset or empty. */
function readVariable({ name, kind }: ConfigVariable, text: string | undefined): unknown {
  if (text === undefined || text === '') return undefined;
  switch (kind) {
    case 'text':
      return text;
    case 'integer':
      if (!/^\d+$/.test(text)) throw new ConfigError(`${name} must be a non-negative integer, got "${text}"`);
      return Number(text);
    case 'list':
      return envList(text);
    case 'accounts':
      return parseAccountsEnv(text);
    case 'tokens':
      return parseTokensEnv(text);
  }
}

/** The non-empty entries of a comma-separated variable. */
function envList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A secret variable, or the file its *_FILE variable names (Docker secrets). */
function secretFromEnv(env: NodeJS.ProcessEnv, name: string): string | undefined {
  try {
    return readSecretEnv(env, name);
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
}

function parseAccountsEnv(value: string) {
  return envList(value).map((entry, i) => {
    const [name, privateKey, voucherKey, ...rest] = entry.split(':');
    if (!name || !privateKey || rest.length > 0) {
      throw new ConfigError(`PS_ACCOUNTS entry ${i + 1} must be name:0xkey or name:0xkey:0xvoucherKey`);
    }
    return { name, privateKey, ...(voucherKey ? { voucherKey } : {}) };
  });
}

function parseTokensEnv(value: string) {
  return envList(value).map((entry, i) => {
    const idx = entry.lastIndexOf(':');
    if (idx <= 0) throw new ConfigError(`PS_TOKENS entry ${i + 1} must be token:account[+account…]`);
    return {
      token: entry.slice(0, idx),
      accounts: entry
        .slice(idx + 1)
        .split('+')
        .filter(Boolean),
    };
  });
}
