import { parseArgs } from 'node:util';
import { consoleLogger, type Logger } from '../logger';
import { describeVariables, parseEnvs, type EnvOf, type Variables } from './env';
import { serviceBasics, serviceVariables, type ServiceBasics } from './settings';
import { stopOnSignals } from './signals';
import { runningTracing } from '@chanpay/telemetry/running';

export interface RunningService {
  url: string;
  stop(): Promise<void>;
}

/** A service run as a process: its name, what it reads from the environment, and how it starts. */
export interface ServiceCommand<V extends Variables> {
  /** In logs and in `--help`, e.g. `random-number`. */
  name: string;
  /** One line for `--help`: what the service does. */
  summary: string;
  defaultPort: number;
  /** The variables it reads beyond those every service reads (`serviceVariables`). */
  variables: V;
  start(basics: ServiceBasics & { logger: Logger }, env: EnvOf<V>): Promise<RunningService>;
}

/** Declares a service command; only there so that TypeScript infers the variables' types for `start`. */
export function defineService<V extends Variables>(command: ServiceCommand<V>): ServiceCommand<V> {
  return command;
}

/** `--help`: the usage line, what the service does, and every variable it reads with its default. */
export function serviceUsage<V extends Variables>(command: ServiceCommand<V>): string {
  return [
    `Usage: ${command.name} [--help]`,
    `${command.summary}. Configured by environment variables (services/README.md):`,
    ...describeVariables({ ...serviceVariables(command.defaultPort), ...command.variables }),
    'SIGINT or SIGTERM stops it cleanly.',
  ].join('\n');
}

/** A command's settings read from an environment, as its `main` and the in-process start both read them. */
function settingsOf<V extends Variables>(command: ServiceCommand<V>, env: NodeJS.ProcessEnv) {
  const [common, own] = parseEnvs(serviceVariables(command.defaultPort), command.variables, env);
  const basics = serviceBasics(common);
  return { basics: { ...basics, logger: consoleLogger(command.name, basics.logLevel) }, own };
}

/**
 * A service started in this process from an environment, exactly as its `main` would start it (the network
 * builder's in-process mode, so that tests reach the running service's objects). A wrong setting throws.
 */
export async function startServiceFromEnv<V extends Variables>(
  command: ServiceCommand<V>,
  env: NodeJS.ProcessEnv,
): Promise<RunningService> {
  const { basics, own } = settingsOf(command, env);
  return command.start(basics, own);
}

/**
 * The `main` of a service: `--help` prints the usage; otherwise it reads its settings from the environment,
 * starts, logs where it listens, and stops on SIGINT / SIGTERM. A wrong argument or setting ends it with one
 * line saying what is wrong.
 */
export async function runService<V extends Variables>(
  command: ServiceCommand<V>,
  argv: string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  let help: boolean | undefined;
  try {
    help = parseArgs({ args: argv, options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: false }).values.help;
  } catch (e) {
    console.error(`${command.name}: ${(e as Error).message}`);
    console.error(serviceUsage(command));
    process.exitCode = 2;
    return;
  }
  if (help) {
    console.log(serviceUsage(command));
    return;
  }
  try {
    const { basics, own } = settingsOf(command, env);
    const service = await command.start(basics, own);
    basics.logger.info({ url: service.url, payment: basics.mode }, `${command.name} service listening`);
    // Tracing (if on) is shut down last, so that the spans of the last calls are exported.
    stopOnSignals(async () => {
      await service.stop();
      await runningTracing()?.shutdown();
    }, basics.logger);
  } catch (e) {
    console.error(`${command.name} service failed to start: ${(e as Error).message}`);
    process.exit(1);
  }
}
