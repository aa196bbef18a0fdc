/**
 * The thesis stack (compose/docker-stack.thesis.yml): its secrets as files, the variables it interpolates, its
 * services and the node labels its placement constraints ask for. What a later stack renderer produces for the
 * `thesis` topology; until then this is the one hand-written stack.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from '../docker/context';

export const THESIS_STACK_FILE = path.join(REPO, 'compose', 'docker-stack.thesis.yml');
export const THESIS_SERVICES = [
  'chain',
  'deploy',
  'payment-server-1',
  'payment-server-2',
  'random-number',
  'persistence',
  'public',
] as const;
export type ThesisService = (typeof THESIS_SERVICES)[number];
export const THESIS_ONE_SHOTS: readonly ThesisService[] = ['deploy'];
/** Services that keep state in node-local volumes: pinned to the node labelled chanpay.stateful=true. */
export const THESIS_STATEFUL: readonly ThesisService[] = ['payment-server-1', 'payment-server-2', 'persistence'];
/** Services without state of their own: Swarm may run them on any node labelled chanpay.role=services. */
export const THESIS_STATELESS: readonly ThesisService[] = ['random-number', 'public'];

export const ROLE = 'chanpay.role';
export const STATEFUL = 'chanpay.stateful';
/** Node labels by position: the manager holds the chain, the next node the stateful services, any further the rest. */
export const thesisNodeLabels = (nodes: number): Record<string, string>[] =>
  Array.from(
    { length: nodes },
    (_, i): Record<string, string> =>
      i === 0 ? { [ROLE]: 'chain' } : i === 1 ? { [ROLE]: 'services', [STATEFUL]: 'true' } : { [ROLE]: 'services' },
  );

/** The settings the stack needs: compose/.env's keys and tokens (see scripts/docker/env.ts) and an admin token. */
export type ThesisSettings = Record<string, string>;

const need = (s: ThesisSettings, name: string): string => {
  const v = s[name];
  if (!v) throw new Error(`${name} is missing from the settings (compose/.env or npm run scenario -- env)`);
  return v;
};

/** One secret per file name of the stack's `secrets:` section. */
export function thesisSecrets(s: ThesisSettings): Record<string, string> {
  return {
    chain_keys: ['DEPLOYER_KEY', 'RANDOM_NUMBER_KEY', 'PERSISTENCE_KEY', 'PUBLIC_KEY'].map((k) => need(s, k)).join(','),
    deployer_key: need(s, 'DEPLOYER_KEY'),
    payment_server_1_accounts: `random-number:${need(s, 'RANDOM_NUMBER_KEY')},persistence:${need(s, 'PERSISTENCE_KEY')}`,
    payment_server_1_tokens: `${need(s, 'RANDOM_NUMBER_TOKEN')}:random-number,${need(s, 'PERSISTENCE_TOKEN')}:persistence`,
    payment_server_2_accounts: `public:${need(s, 'PUBLIC_KEY')}`,
    payment_server_2_tokens: `${need(s, 'PUBLIC_TOKEN')}:public`,
    random_number_token: need(s, 'RANDOM_NUMBER_TOKEN'),
    persistence_token: need(s, 'PERSISTENCE_TOKEN'),
    public_token: need(s, 'PUBLIC_TOKEN'),
    public_voucher_key: need(s, 'PUBLIC_VOUCHER_KEY'),
    admin_token: need(s, 'ADMIN_TOKEN'),
  };
}

/** A fresh admin token for the services' /init, /redeem and /terminate. */
export const newAdminToken = () => randomBytes(24).toString('base64url');

/** Writes the secrets, one file each, readable by the owner only, in a folder only the owner may enter. */
export function writeSecretFiles(dir: string, secrets: Record<string, string>): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  for (const [name, value] of Object.entries(secrets)) writeFileSync(path.join(dir, name), `${value}\n`, { mode: 0o600 });
}

/** The non-secret variables the stack file interpolates, from the settings; ports keep their defaults unless set. */
export function thesisStackEnv(s: ThesisSettings, secretsDir: string): Record<string, string> {
  const pass = [
    'CHANPAY_TAG',
    'CHAIN_PORT',
    'CHAIN_ID',
    'CHAIN_BALANCE_ETH',
    'CHAIN_BLOCK_TIME',
    'PAYMENT_SERVER_1_PORT',
    'PAYMENT_SERVER_2_PORT',
    'RANDOM_NUMBER_PORT',
    'PERSISTENCE_PORT',
    'PUBLIC_PORT',
    'PAYMENT',
    'CHALLENGE_PERIOD',
    'MIN_CHALLENGE_PERIOD',
    'DEPOSIT_WEI',
    'LOG_LEVEL',
  ];
  const env: Record<string, string> = { CHANPAY_SECRETS_DIR: secretsDir, CONTRACT_ADDRESS: need(s, 'CONTRACT_ADDRESS') };
  for (const k of pass) if (s[k]) env[k] = s[k]!;
  return env;
}

/** The port a service listens on (and publishes, in host mode, on the node that runs it). */
export function thesisPort(s: ThesisSettings, service: 'chain' | 'random-number' | 'persistence' | 'public'): number {
  const [name, fallback] = (
    {
      chain: ['CHAIN_PORT', 8545],
      'random-number': ['RANDOM_NUMBER_PORT', 8002],
      persistence: ['PERSISTENCE_PORT', 8001],
      public: ['PUBLIC_PORT', 8003],
    } as const
  )[service];
  return Number(s[name] || fallback);
}
