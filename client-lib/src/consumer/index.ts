export * from './channel';
export * from './voucher-source';
export * from './channel-manager';
export * from './payment-consumer';
