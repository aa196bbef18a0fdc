export { createPaymentServer, VERSION, type PaymentServer } from './server';
export { loadConfig, parseConfig, ConfigError, type Config, type ConfigInput } from './config';
export { CONFIG_FILE_VARIABLE, CONFIG_VARIABLES, type ConfigVariable } from './config-env';
export { GAS } from './chain/contract';
export { Rpc } from './chain/rpc';
export { readJson, MAX_BODY_BYTES } from './http/body';
