import { Interface } from 'ethers';
import { PAYMENT_CHANNELS_ABI, PAYMENT_CHANNELS_BYTECODE } from '@chanpay/protocol';

/** The PaymentChannels ABI as committed with the contract; one source for calls, events and errors. */
export const paymentChannels = new Interface(PAYMENT_CHANNELS_ABI);

/** Creation code of PaymentChannels (no constructor arguments), to recognise its deployment transactions. */
export const paymentChannelsCreationCode: string = PAYMENT_CHANNELS_BYTECODE.toLowerCase();
