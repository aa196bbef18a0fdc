/**
 * The Docker Swarm stack file of a topology (`docker stack deploy`), from the same parts as its compose file
 * (parts.ts), in Swarm's rules: no build (images by tag), no depends_on (each part waits for what it needs or
 * exits and is restarted), no profiles; placement constraints per role on node labels (the topology's
 * `placement`); replicas from the topology; every key and token a Docker secret mounted under /run/secrets and
 * read through its `*_FILE` variable, never a value in the file. Ports are published in host mode and services
 * resolve one another by DNS round robin (endpoint_mode: dnsrr): both work without IPVS, which the routing mesh
 * and virtual IPs need (docs/swarm.md).
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ResolvedTopology } from '../model';
import { composePorts, freshSettings, isSecret, topologyParts, Vars, type Part, type PartsContext } from './parts';
import { block, comment, flowList } from './yaml';

/** The variable naming the folder that holds one file per secret when the stack is deployed. */
export const SECRETS_DIR_VARIABLE = 'CHANPAY_SECRETS_DIR';
export const ADMIN_SECRET = 'admin_token';

export interface StackSecret {
  name: string;
  /** Its content, with `${NAME:?…}` for each key and token (filled from the settings by secretValues). */
  template: string;
}

export interface StackFile {
  /** docker-stack.<topology>.yml */
  name: string;
  text: string;
  /** The services, as `docker stack services` names them without the stack's prefix. */
  services: string[];
  /** Services that run once and exit (deploy). */
  oneShots: string[];
  /** Each service's placement constraints (`node.labels.<key> == <value>`). */
  constraints: Map<string, string[]>;
  /** The images' Dockerfile targets (chanpay/<target>), each once. */
  targets: string[];
  /** Each service's port (the default of its `<NAME>_PORT` variable). */
  ports: Map<string, number>;
  secrets: StackSecret[];
  /** The variables the file interpolates (its non-secret settings, CONTRACT_ADDRESS and CHANPAY_SECRETS_DIR). */
  variables: string[];
  /** Every variable of the file and of the secrets, with its default (null: a key, token or address to set). */
  vars: Vars['used'];
}

export interface StackOptions {
  /** The command that regenerates the file, quoted in its header. */
  command: string;
  /** Where the file goes, as its header's example command names it; default compose. */
  outDir?: string;
  /** false: the services only, unpaid (PAYMENT=off): no chain, no payment server, no secret but the admin token. */
  paid?: boolean;
}

export const stackFileName = (t: ResolvedTopology) => `docker-stack.${t.name}.yml`;

/** Constraints of a part: its role on the topology's role label, and the stateful label when it keeps state. */
export function constraintsOf(t: ResolvedTopology, p: Part): string[] {
  const { label, chain, paymentServers, services, stateful } = t.placement;
  // PostgreSQL runs beside the payment servers (it is their store).
  const role =
    p.role === 'chain' ? chain : (p.placement ?? (p.role === 'payment-server' || p.role === 'database' ? paymentServers : services));
  const out = [`node.labels.${label} == ${role}`];
  // The chain keeps its volume too, but its role already pins it to the chain's node(s).
  if (stateful !== false && p.volume !== null && p.role !== 'chain') out.push(`node.labels.${stateful} == true`);
  return out;
}

const secretFileName = (name: string) => `\${${SECRETS_DIR_VARIABLE}:?set ${SECRETS_DIR_VARIABLE}}/${name}`;

function stackService(t: ResolvedTopology, p: Part, adminSecret: string | null): { lines: string[]; secrets: StackSecret[] } {
  const secrets: StackSecret[] = [];
  // The CORS origins name the visualizer, which a stack does not run.
  const env: [string, string][] = p.env
    .filter(([k]) => k !== 'PS_CORS_ORIGINS')
    .map(([k, v]) => {
      if (!isSecret(v)) return [k, v];
      secrets.push({ name: v.secret, template: v.template });
      return [`${k}_FILE`, `/run/secrets/${v.secret}`];
    });
  if (p.role === 'service' && adminSecret) env.push(['ADMIN_TOKEN_FILE', `/run/secrets/${adminSecret}`]);
  const mounted = [...secrets.map((s) => s.name), ...(p.role === 'service' && adminSecret ? [adminSecret] : [])];
  const lines = [
    ...p.comment,
    `  ${p.name}:`,
    `    image: chanpay/${p.target}:\${CHANPAY_TAG:-latest}`,
    ...(p.command ? [`    command: ${flowList(p.command)}`] : []),
    '    environment:',
    ...block(6, env),
    ...(mounted.length ? [`    secrets: [${mounted.join(', ')}]`] : []),
    // Host mode: published on the node that runs the task (the routing mesh needs IPVS). The payment servers'
    // ports stay inside the overlay network: only their services call them.
    // Replicas are reached inside the network only (by DNS round robin): two on one node could not both publish.
    ...(p.port && !p.oneShot && p.role !== 'payment-server' && p.role !== 'database' && p.replicas === 1
      ? [`    ports: [{ target: "${p.port}", published: "${p.port}", mode: host }]`]
      : []),
    ...(p.volume ? [`    volumes: ["${p.volume}:${p.volumePath ?? '/data'}"]`] : []),
    '    networks: [chanpay]',
    ...(p.healthcheck
      ? [
          '    healthcheck:',
          `      test: ${flowList(p.healthcheck.test)}`,
          '      interval: 1s',
          // A task stays `starting` until one check passes: on busy nodes starting node for the check alone can
          // take more than the compose files' 3 s (seen on two shared cores at a load average of 45).
          '      timeout: 10s',
          `      retries: ${p.healthcheck.retries}`,
        ]
      : ['    healthcheck: { disable: true }']),
    ...(p.role !== 'chain' ? ['    stop_grace_period: 5s'] : []),
    '    deploy:',
    ...(p.oneShot ? [] : [`      replicas: ${p.replicas}`]),
    '      endpoint_mode: dnsrr',
    `      placement: { constraints: ${flowList(constraintsOf(t, p))} }`,
    p.oneShot ? '      restart_policy: { condition: on-failure, delay: 2s, max_attempts: 20 }' : '      restart_policy: *restart',
  ];
  return { lines, secrets };
}

function header(t: ResolvedTopology, file: string, opts: StackOptions): string[] {
  const { label, chain, services, stateful } = t.placement;
  const paid = opts.paid !== false;
  const where = `${opts.outDir ?? 'compose'}/${file}`;
  return [
    ...comment(`${(t.description ?? `The topology ${t.name}`).replace(/\.$/, '')}.`),
    ...comment(
      `${file}: a Docker Swarm stack${paid ? '' : ' without payment (PAYMENT=off)'}, placed by node labels (docs/swarm.md). \`npm run scenario -- swarm --topology ${t.name}\` writes its secrets, deploys it and waits until it is healthy; by hand:`,
    ),
    ...(paid ? [`#   docker node update --label-add ${label}=${chain} <node>`] : []),
    `#   docker node update --label-add ${label}=${services}${stateful === false ? '' : ` --label-add ${stateful}=true`} <node>`,
    `#   ${paid ? 'CONTRACT_ADDRESS=0x… ' : ''}${SECRETS_DIR_VARIABLE}=<one file per secret> docker stack deploy --resolve-image never -c ${where} ${t.name}`,
    ...comment(
      'Swarm\'s rules: no build (images by tag, on every node or in a registry they pull from), no depends_on (each part waits for what it needs, or exits and is restarted), no profiles. Keys and tokens are Docker secrets read through *_FILE variables, never values here. Ports are published in host mode on the node that runs the task and services find one another by DNS round robin (endpoint_mode: dnsrr): both work without IPVS, which the routing mesh and virtual IPs need. Published ports listen on every address of that node: firewall them on real machines. No "-" in the ${VAR:?message} texts: the docker CLI reads it as ${VAR:-default}.',
    ),
    ...comment(`Generated by \`${opts.command}\` from its topology (docs/topologies.md): edit that and generate again, not this file.`),
  ];
}

/** The stack file of a topology, with what deploying it needs: its secrets, variables and services. */
export function stackFile(t: ResolvedTopology, opts: StackOptions): StackFile {
  const paid = opts.paid !== false;
  const c: PartsContext = { t, ports: composePorts(t), vars: new Vars(null) };
  // The visualizer is a page for a browser next to the chain: not part of a deployed network.
  const parts = topologyParts(c, paid).filter((p) => p.role !== 'visualizer');
  const admin = c.vars.required('ADMIN_TOKEN', "the token of the services' /init, /redeem and /terminate");
  const adminSecret: StackSecret = { name: ADMIN_SECRET, template: admin };
  const rendered = parts.map((p) => stackService(t, p, adminSecret.name));
  const secrets = [...rendered.flatMap((r) => r.secrets), adminSecret];
  const seen = new Map<string, string>();
  for (const s of secrets) {
    const other = seen.get(s.name);
    if (other !== undefined && other !== s.template)
      throw new Error(`stack: two different secrets would be named ${s.name}; rename the service or payment server`);
    seen.set(s.name, s.template);
  }
  const unique = [...seen].map(([name, template]) => ({ name, template }));
  const volumes = [...new Set(parts.flatMap((p) => (p.volume ? [p.volume] : [])))];
  const name = stackFileName(t);
  const lines = [
    ...header(t, name, opts),
    'version: "3.8"',
    '',
    'x-restart: &restart',
    '  condition: any',
    '  delay: 1s',
    '',
    'services:',
    ...rendered.flatMap((r, i) => (i ? ['', ...r.lines] : r.lines)),
    '',
    'networks:',
    '  chanpay:',
    '    driver: overlay',
    ...(volumes.length ? ['', 'volumes:', ...volumes.map((v) => `  ${v}:`)] : []),
    '',
    `# One file each in ${SECRETS_DIR_VARIABLE}: Swarm keeps them encrypted in its Raft log and mounts them only into the`,
    '# tasks that name them, as /run/secrets/<name>.',
    'secrets:',
    ...unique.map((s) => `  ${s.name}: { file: "${secretFileName(s.name)}" }`),
  ];
  const text = lines.join('\n') + '\n';
  const variables = [...new Set([...text.replace(/^#.*$/gm, '').matchAll(/\$\{([A-Z0-9_]+)[:}]/g)].map((m) => m[1]!))];
  return {
    name,
    text,
    services: parts.map((p) => p.name),
    oneShots: parts.filter((p) => p.oneShot).map((p) => p.name),
    targets: [...new Set(parts.map((p) => p.target))],
    constraints: new Map(parts.map((p) => [p.name, constraintsOf(t, p)])),
    ports: c.ports,
    secrets: unique,
    variables,
    vars: c.vars.used,
  };
}

/** `${NAME:?…}` and `${NAME:-default}` filled from the settings (a required one that is missing is an error). */
export function interpolate(template: string, settings: Readonly<Record<string, string>>): string {
  return template.replace(/\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}/g, (_, name: string, kind?: string, rest?: string) => {
    const v = settings[name];
    if (v !== undefined && v !== '') return v;
    if (kind === '-') return rest ?? '';
    throw new Error(`${name} is missing from the settings (${rest ?? `set ${name}`})`);
  });
}

/** Each secret's content, from the settings. */
export function secretValues(stack: StackFile, settings: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(stack.secrets.map((s) => [s.name, interpolate(s.template, settings)]));
}

/**
 * The environment `docker stack deploy` needs: the secrets' folder, and the file's variables that the settings
 * give other than their defaults (CONTRACT_ADDRESS, a shorter challenge period, …).
 */
export function stackEnv(stack: StackFile, settings: Readonly<Record<string, string>>, secretsDir: string): Record<string, string> {
  const env: Record<string, string> = { [SECRETS_DIR_VARIABLE]: secretsDir };
  for (const v of stack.variables) {
    const value = settings[v];
    if (v !== SECRETS_DIR_VARIABLE && value && value !== stack.vars.get(v)?.fallback) env[v] = value;
  }
  return env;
}

/** Fresh settings for a stack: its defaults, new keys and tokens, the contract address of the new deployer key. */
export function freshStackSettings(stack: StackFile): Record<string, string> {
  return Object.fromEntries(freshSettings(stack.vars));
}

/** Writes the secrets, one file each, readable by the owner only, in a folder only the owner may enter. */
export function writeSecretFiles(dir: string, secrets: Record<string, string>): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  for (const [name, value] of Object.entries(secrets)) writeFileSync(path.join(dir, name), `${value}\n`, { mode: 0o600 });
}
