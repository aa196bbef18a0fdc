import { Interface } from 'ethers';
import { abi, bytecode } from '../../../payment-server/src/contract/artifacts/PaymentChannels.json';

/** The PaymentChannels ABI as committed with the contract; one source for calls, events and errors. */
export const paymentChannels = new Interface(abi);

/** Creation code of PaymentChannels (no constructor arguments), to recognise its deployment transactions. */
export const paymentChannelsCreationCode: string = bytecode.toLowerCase();
