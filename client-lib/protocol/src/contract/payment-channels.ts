import artifact from './PaymentChannels.json';

/** The PaymentChannels contract as compiled from payment-server/contracts (`npm run build:contract`). */
export const PAYMENT_CHANNELS_ABI = artifact.abi;
/** Creation code (no constructor arguments): to deploy the contract and to recognise its deployments. */
export const PAYMENT_CHANNELS_BYTECODE: string = artifact.bytecode;
export const PAYMENT_CHANNELS_DEPLOYED_BYTECODE: string = artifact.deployedBytecode;
