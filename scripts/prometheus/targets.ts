import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ResolvedTopology, RunningTopology } from '@chanpay/topology';

/** One process Prometheus scrapes: a service (no token) or a payment server (a bearer token of one of its accounts). */
export interface ScrapeTarget {
  kind: 'service' | 'payment-server';
  name: string;
  /** Base URL, e.g. http://127.0.0.1:8100. */
  url: string;
  /** Payment servers only: a token of an account it holds (its /metrics needs one). */
  token?: string;
}

/** Every service and payment server of a running topology, each payment server with a token of its team. */
export function targetsOfNetwork(net: RunningTopology): ScrapeTarget[] {
  return targetsOf(
    net.topology,
    net.urls.services,
    net.urls.paymentServers,
    (team) => [...net.accounts.values()].find((a) => a.team === team)?.token,
  );
}

/**
 * The targets of a topology started elsewhere (`npm start -- --topology …`) on the topology's own ports: a part
 * without a fixed port cannot be found. Payment servers need a token by account (SHOW_TOKENS's `tokens:` line).
 */
export function targetsOfTopology(t: ResolvedTopology, tokens: Record<string, string>): { targets: ScrapeTarget[]; skipped: string[] } {
  const skipped: string[] = [];
  const at = (name: string, port: number | null) => {
    if (port === null) skipped.push(`${name}: the topology gives it no port`);
    return port === null ? null : `http://127.0.0.1:${port}`;
  };
  const services = Object.fromEntries(t.services.flatMap((s) => (at(s.name, s.port) ? [[s.name, at(s.name, s.port)!]] : [])));
  const paymentServers = Object.fromEntries(
    t.teams.flatMap((x) => {
      const url = at(x.paymentServer.name, x.paymentServer.port);
      return url ? [[x.paymentServer.name, url]] : [];
    }),
  );
  const tokenOfTeam = (team: string) =>
    t.teams
      .find((x) => x.name === team)
      ?.accounts.map((a) => tokens[a.name])
      .find(Boolean);
  const targets = targetsOf(t, services, paymentServers, tokenOfTeam).filter((x) => {
    if (x.kind === 'service' || x.token) return true;
    skipped.push(`${x.name}: no token for any of its accounts (start the network with SHOW_TOKENS=1, pass --tokens-file)`);
    return false;
  });
  return { targets, skipped };
}

function targetsOf(
  t: ResolvedTopology,
  services: Record<string, string>,
  paymentServers: Record<string, string>,
  tokenOfTeam: (team: string) => string | undefined,
): ScrapeTarget[] {
  const out: ScrapeTarget[] = [];
  for (const team of t.teams) {
    const url = paymentServers[team.paymentServer.name];
    if (url) out.push({ kind: 'payment-server', name: team.paymentServer.name, url, token: tokenOfTeam(team.name) });
  }
  for (const s of t.services) {
    const url = services[s.name];
    if (url) out.push({ kind: 'service', name: s.name, url });
  }
  return out;
}

/**
 * Writes prometheus.yml into `dir`: one scrape job for the services (`chanpay-services`) and one per payment server (`chanpay-payment-servers/<name>`), each
 * target labelled `part=<name>`; each payment server's token in a file of its own (mode 600), never in the YAML.
 */
export function writePrometheusConfig(dir: string, targets: readonly ScrapeTarget[], scrapeIntervalSeconds: number): string {
  const lines = [
    'global:',
    `  scrape_interval: ${scrapeIntervalSeconds}s`,
    `  evaluation_interval: ${scrapeIntervalSeconds}s`,
    'scrape_configs:',
  ];
  const services = targets.filter((x) => x.kind === 'service');
  if (services.length) {
    lines.push('  - job_name: chanpay-services', '    metrics_path: /metrics', '    static_configs:');
    for (const s of services) lines.push(`      - targets: ['${hostOf(s.url)}']`, `        labels: { part: '${s.name}' }`);
  }
  // A job per payment server: each has a token of its own.
  for (const p of targets.filter((x) => x.kind === 'payment-server')) {
    const tokenFile = path.join(dir, `${p.name}.token`);
    writeFileSync(tokenFile, p.token ?? '', { mode: 0o600 });
    chmodSync(tokenFile, 0o600);
    lines.push(
      `  - job_name: 'chanpay-payment-servers/${p.name}'`,
      '    metrics_path: /metrics',
      '    authorization:',
      '      type: Bearer',
      `      credentials_file: '${tokenFile}'`,
      '    static_configs:',
      `      - targets: ['${hostOf(p.url)}']`,
      `        labels: { part: '${p.name}' }`,
    );
  }
  const file = path.join(dir, 'prometheus.yml');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

const hostOf = (url: string) => new URL(url).host;
