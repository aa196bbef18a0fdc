/**
 * The topology file: one description of a service network (chain, teams with their payment server, services,
 * who calls whom and how each call is paid, where load goes). Structure only; the rules that span fields
 * (cycles, unknown names, modes a payment server cannot serve, …) are in validate.ts.
 */
import { z } from 'zod';
import { MAX_PREPAY_CALLS, PAYMENT_MODES, parseAmount } from '@chanpay/protocol';

export const SERVICE_KINDS = ['public', 'random-number', 'persistence', 'worker'] as const;
export type ServiceKind = (typeof SERVICE_KINDS)[number];

/** Who holds the hot key that signs an account's vouchers (see validate.ts for what each mode needs). */
export const VOUCHER_KEY_HOLDERS = ['both', 'service', 'payment-server', 'none'] as const;
export type VoucherKeyHolder = (typeof VOUCHER_KEY_HOLDERS)[number];

/** Names become process names, compose service names, host names and environment variable names. */
export const NameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,39}$/, 'must be 1 to 40 lower-case letters, digits and "-", starting with a letter');

export const AmountSchema = z
  .string()
  .superRefine((text, ctx) => {
    try {
      parseAmount(text);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
    }
  })
  .describe('wei as a decimal string ("2000000000") or a number and a unit ("2 gwei", "0.005 ether")');

const PortSchema = z.number().int().min(1).max(65535);
const LabelSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'letters, digits, ".", "_" and "-", at most 63');

export const PaymentSettingsSchema = z
  .strictObject({
    mode: z
      .enum(PAYMENT_MODES as unknown as ['local', 'remote', 'off'])
      .optional()
      .describe('local: the services sign and verify; remote: their payment servers do; off: unpaid'),
    prepay: z
      .number()
      .int()
      .min(1)
      .max(MAX_PREPAY_CALLS)
      .optional()
      .describe('calls one voucher pays ahead (prepaid tickets); 1: a voucher with every call'),
    deposit: AmountSchema.optional().describe('deposit of each channel the caller opens on this edge'),
    sync: z.boolean().optional().describe('the provider answers only after the voucher is stored by its payment server (local mode)'),
    challengePeriod: z
      .number()
      .int()
      .min(1)
      .max(4_294_967_295)
      .optional()
      .describe('challenge period (s) of the channels the caller opens'),
    idempotencyKeys: z.boolean().optional().describe('send an idempotency key with every call (a 503 is retried without a second charge)'),
  })
  .describe('how the caller pays on an edge (defaults.payment fills what is left out)');

export const ChainSchema = z
  .strictObject({
    kind: z
      .enum(['ganache', 'anvil', 'external'])
      .default('ganache')
      .describe('ganache in process (default), anvil as a child, or an external JSON-RPC node'),
    url: z.url().optional().describe("external only: the node's JSON-RPC URL"),
    chainId: z.number().int().positive().default(1337),
    blockTime: z.number().int().min(0).max(600).default(0).describe('seconds between blocks; 0 mines each transaction at once'),
    port: PortSchema.optional(),
    balanceEth: z.number().positive().max(1e9).default(1000).describe('ether given to each generated account'),
    funderKeyEnv: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name')
      .default('CHAIN_FUNDER_KEY')
      .describe('external only: the environment variable holding the key that funds the generated accounts'),
  })
  .describe('the chain every payment server uses');

export const AccountSchema = z.strictObject({
  name: NameSchema,
  voucherKey: z
    .enum(VOUCHER_KEY_HOLDERS)
    .default('both')
    .describe(
      'where the hot voucher key lives: both (local and remote mode work), service (local only), payment-server (remote only), none (remote, signed with the account key)',
    ),
});

export const TeamSchema = z.strictObject({
  name: NameSchema,
  paymentServer: z
    .strictObject({
      name: NameSchema.optional().describe('process and host name; default payment-server-<team>'),
      port: PortSchema.optional(),
      placement: LabelSchema.optional().describe('role label of the node it runs on (Swarm)'),
      claimIntervalSeconds: z
        .number()
        .int()
        .min(0)
        .optional()
        .describe('claim whatever is unclaimed this often; 0 only on close or request'),
      dbSync: z.enum(['normal', 'full']).optional(),
      store: z
        .enum(['sqlite', 'postgres'])
        .optional()
        .describe('where it keeps its state: a SQLite file (default with 1 replica) or PostgreSQL (default, and required, with more)'),
      replicas: z
        .number()
        .int()
        .min(1)
        .max(16)
        .default(1)
        .describe('processes of the payment server sharing one PostgreSQL store (docs/scaling.md): one leader claims and watches'),
    })
    .default({ replicas: 1 }),
  accounts: z.array(AccountSchema).optional().describe('default: one account per service of the team, named after it'),
});

export const WorkSchema = z
  .strictObject({
    keccakRounds: z.number().int().min(0).max(100_000_000).optional().describe('CPU per call: this many chained keccak-256 hashes'),
    busyMicros: z.number().int().min(0).max(10_000_000).optional().describe('CPU per call: a busy loop of this many microseconds'),
    responseBytes: z.number().int().min(0).max(10_000_000).default(0).describe('bytes of payload in each answer'),
  })
  .describe("what a worker does per call (µBench's internal service)");

export const ServiceSchema = z.strictObject({
  name: NameSchema,
  kind: z.enum(SERVICE_KINDS),
  team: NameSchema,
  account: NameSchema.optional().describe('its account in the team; default the service name'),
  price: AmountSchema.optional().describe(
    'per call, in wei ("2000000000") or with a unit ("2 gwei"); default 1 gwei (random-number, worker) or 2 gwei (persistence); entries are free',
  ),
  accepts: z
    .strictObject({
      prepaidTickets: z
        .number()
        .int()
        .min(0)
        .max(MAX_PREPAY_CALLS)
        .default(256)
        .describe('most calls one voucher may prepay; 0 takes no tickets'),
    })
    .optional(),
  replicas: z
    .number()
    .int()
    .min(1)
    .max(64)
    .default(1)
    .describe(
      'processes of a provider service (random-number, worker) sharing one PostgreSQL state, behind a round-robin proxy (npm start, compose) or DNS round robin (Swarm)',
    ),
  placement: LabelSchema.optional().describe('role label of the node it runs on (Swarm)'),
  port: PortSchema.optional(),
  work: WorkSchema.optional(),
});

export const CallSchema = z.strictObject({
  to: NameSchema,
  probability: z.number().min(0).max(1).default(1),
  payment: PaymentSettingsSchema.optional(),
});

export const CallGroupSchema = z
  .strictObject({
    seqLen: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe("µBench's seq_len: at most this many calls of the group, picked at random; default all"),
    calls: z.array(CallSchema).min(1),
  })
  .describe('calls in a group run in sequence; the groups of a service run in parallel');

/** A node label's key: `chanpay.role`. */
const LabelKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'a node label key: letters, digits, ".", "_" and "-", at most 63');

export const PlacementSchema = z
  .strictObject({
    label: LabelKeySchema.default('chanpay.role').describe(
      'the node label whose values the roles below name (docker node update --label-add chanpay.role=chain <node>)',
    ),
    chain: LabelSchema.default('chain').describe('the role of the node(s) that run the chain and the contract deployment'),
    paymentServers: LabelSchema.default('services').describe("the payment servers' role (a team's paymentServer.placement wins)"),
    services: LabelSchema.default('services').describe("the services' role (a service's placement wins)"),
    stateful: z
      .union([LabelKeySchema, z.literal(false)])
      .default('chanpay.stateful')
      .describe(
        'a second label (== true) that pins what keeps state in a node-local volume (payment servers, persistence); false: the role alone',
      ),
  })
  .describe('where a Docker Swarm runs each part (docs/swarm.md): placement constraints on node labels');

export const TopologySchema = z
  .strictObject({
    $schema: z.string().optional(),
    name: NameSchema.default('topology'),
    description: z.string().max(2000).optional(),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(1)
      .describe("seed of the workers' call decisions (one PRNG per request id)"),
    chain: ChainSchema.default({ kind: 'ganache', chainId: 1337, blockTime: 0, balanceEth: 1000, funderKeyEnv: 'CHAIN_FUNDER_KEY' }),
    defaults: z.strictObject({ payment: PaymentSettingsSchema.default({}) }).default({ payment: {} }),
    teams: z.array(TeamSchema).min(1),
    services: z.array(ServiceSchema).min(1),
    calls: z.record(NameSchema, z.array(CallGroupSchema)).default({}).describe('per caller, its groups of upstream calls'),
    entry: z.array(NameSchema).min(1).describe('the services load is sent to'),
    placement: PlacementSchema.prefault({}),
  })
  .describe('a chanpay service network');

export type TopologyInput = z.input<typeof TopologySchema>;
export type Topology = z.output<typeof TopologySchema>;
export type PaymentSettings = z.output<typeof PaymentSettingsSchema>;
export type ServiceSpec = z.output<typeof ServiceSchema>;
export type TeamSpec = z.output<typeof TeamSchema>;
export type CallGroupSpec = z.output<typeof CallGroupSchema>;
export type Placement = z.output<typeof PlacementSchema>;
export type WorkSpec = z.output<typeof WorkSchema>;
