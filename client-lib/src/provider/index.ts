export * from './paid-ranges';
export * from './idempotency';
export * from './context';
export * from './verifier';
export * from './local-verifier';
export * from './remote-verifier';
export * from './payment-provider';
export * from './ticket-book';
