export * from './nodes';
export * from './receipts';
export * from './time';
export * from './contracts';
export * from './vouchers';
export * from './channels-fixture';
