export { createPaymentServer, VERSION, type PaymentServer } from './server';
export { loadConfig, parseConfig, ConfigError, type Config, type ConfigInput } from './config';
export { startEmbeddedChain, type EmbeddedChain, type DevAccount } from './chain/embedded';
export { startAnvil, freePort } from './chain/anvil';
export { PAYMENT_CHANNELS_ABI, PAYMENT_CHANNELS_BYTECODE, GAS } from './chain/contract';
export { Rpc } from './chain/rpc';
