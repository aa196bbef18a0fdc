/** The reliability suite's helpers (see docs/reliability.md). */
export * from './bounds';
export * from './chain';
export * from './conservation';
export * from './fault-hooks';
export * from './figures';
export * from './http';
export * from './load';
export * from './network-scenario';
export * from './paid-load';
export * from './processes';
export * from './secret-scan';
export * from './setup';
export * from './snapshot';
export * from './tcp-proxy';
