import path from 'node:path';

/** Compiled test contracts (payment-server/test-contracts, built with `npm run build:contract`). */
export const TEST_CONTRACTS = ['TestToken', 'RejectingReceiver', 'ReentrantToken'] as const;
export type TestContractName = (typeof TEST_CONTRACTS)[number];

export interface Artifact {
  contractName: string;
  abi: unknown[];
  bytecode: string;
  deployedBytecode: string;
  compiler: string;
  sourceHash: string;
}

// Found through the package, not this file's location: the same from the sources and from a bundle (topology's compiled.ts).
export const TEST_ARTIFACTS_DIR = path.join(path.dirname(require.resolve('@chanpay/devkit/package.json')), 'artifacts');

export function loadTestArtifact(name: TestContractName): Artifact {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(TEST_ARTIFACTS_DIR, `${name}.json`)) as Artifact;
}
