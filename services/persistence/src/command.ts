import { defineService, providerSettings, providerVariables, textVariable } from '@chanpay/client-lib/service-kit';
import { DEFAULT_DB_PATH, DEFAULT_PORT, DEFAULT_PRICE, startPersistenceService } from './index';

/** The persistence service as a process: its settings (`--help` lists them) and how it starts. */
export const persistenceCommand = defineService({
  name: 'persistence',
  summary: 'The persistence provider: GET /save?nr=<number> stores the number in SQLite, paid per call',
  defaultPort: DEFAULT_PORT,
  variables: { ...providerVariables(DEFAULT_PRICE), DB_PATH: textVariable('SQLite file of the saved numbers', DEFAULT_DB_PATH) },
  start: (basics, env) =>
    startPersistenceService({ ...basics, payment: providerSettings(basics, env), price: env.PRICE_WEI, dbPath: env.DB_PATH }),
});
