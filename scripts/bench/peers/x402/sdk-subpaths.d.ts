// The root tsconfig resolves modules the node10 way, which ignores package.json "exports", so the SDK's subpath
// entry points (`@x402/core/server`, ...) have no types. Each is mapped here onto the CommonJS declaration file that
// the "exports" map's `require` condition selects at run time (Node, tsx and jest load the same file).
declare module '@x402/core/client' { export * from '@x402/core/dist/cjs/client/index'; }
declare module '@x402/core/facilitator' { export * from '@x402/core/dist/cjs/facilitator/index'; }
declare module '@x402/core/http' { export * from '@x402/core/dist/cjs/http/index'; }
declare module '@x402/core/server' { export * from '@x402/core/dist/cjs/server/index'; }
declare module '@x402/core/types' { export * from '@x402/core/dist/cjs/types/index'; }
declare module '@x402/core/schemas' { export * from '@x402/core/dist/cjs/schemas/index'; }
declare module '@x402/core/utils' { export * from '@x402/core/dist/cjs/utils/index'; }
declare module '@x402/evm/exact/client' { export * from '@x402/evm/dist/cjs/exact/client/index'; }
declare module '@x402/evm/exact/server' { export * from '@x402/evm/dist/cjs/exact/server/index'; }
declare module '@x402/evm/exact/facilitator' { export * from '@x402/evm/dist/cjs/exact/facilitator/index'; }
declare module '@x402/evm/upto/client' { export * from '@x402/evm/dist/cjs/upto/client/index'; }
declare module '@x402/evm/upto/facilitator' { export * from '@x402/evm/dist/cjs/upto/facilitator/index'; }
// @x402/fetch's package.json names `dist/index.d.ts` as its types, a file the package does not ship.
declare module '@x402/fetch' { export * from '@x402/fetch/dist/cjs/index'; }
