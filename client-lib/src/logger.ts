/** The subset of pino's interface the library logs through; pass a pino logger or anything shaped like it. */
export interface Logger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

export type LogLevel = 'info' | 'warn' | 'error' | 'silent';

/** pino's level names (LOG_LEVEL) mapped onto ours: debug and trace log as info, fatal as error. */
export function logLevelFromEnv(value: string | undefined): LogLevel {
  switch ((value ?? '').toLowerCase()) {
    case 'silent':
      return 'silent';
    case 'error':
    case 'fatal':
      return 'error';
    case 'warn':
      return 'warn';
    default:
      return 'info';
  }
}

/** One JSON line per entry on stderr, for services that have no logger of their own. */
export function consoleLogger(name: string, level: LogLevel = 'info'): Logger {
  if (level === 'silent') return silentLogger;
  const order = { info: 0, warn: 1, error: 2 } as const;
  const write = (lvl: keyof typeof order) => (obj: Record<string, unknown>, msg: string) => {
    if (order[lvl] < order[level]) return;
    process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level: lvl, name, msg, ...obj }) + '\n');
  };
  return { info: write('info'), warn: write('warn'), error: write('error') };
}
