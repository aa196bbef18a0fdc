import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Artifact } from '@chanpay/devkit';

/** Compiler settings: ganache supports up to the shanghai hardfork, so no PUSH0-free or cancun opcodes beyond it. */
export const COMPILER_SETTINGS = {
  optimizer: { enabled: true, runs: 10_000 },
  evmVersion: 'shanghai',
  // The IR pipeline inlines the per-entry helpers of a batch claim: about 1k gas less per channel (docs/gas.md).
  viaIR: true,
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
} as const;

export type { Artifact };

const PACKAGE_ROOT = path.resolve(__dirname, '..');
const REPO_ROOT = path.resolve(PACKAGE_ROOT, '..');

export const CONTRACT_SOURCES = {
  PaymentChannels: 'contracts/PaymentChannels.sol',
  TestToken: 'test-contracts/TestToken.sol',
  RejectingReceiver: 'test-contracts/RejectingReceiver.sol',
  ReentrantToken: 'test-contracts/ReentrantToken.sol',
} as const;

export type ContractName = keyof typeof CONTRACT_SOURCES;

/** Where each committed artifact lives: the product contract in the protocol package, test contracts in the devkit. */
export function artifactPath(name: ContractName): string {
  return name === 'PaymentChannels'
    ? path.join(REPO_ROOT, 'client-lib', 'protocol', 'src', 'contract', 'PaymentChannels.json')
    : path.join(REPO_ROOT, 'scripts', 'devkit', 'artifacts', `${name}.json`);
}

/** The committed artifact (what the server deploys and tests use), not a fresh compile. */
export function loadArtifact(name: ContractName): Artifact {
  return JSON.parse(readFileSync(artifactPath(name), 'utf8')) as Artifact;
}

function findImport(importPath: string): { contents: string } | { error: string } {
  try {
    return { contents: readFileSync(require.resolve(importPath, { paths: [PACKAGE_ROOT] }), 'utf8') };
  } catch {
    return { error: `import not found: ${importPath}` };
  }
}

/** Hash of a contract's source, so a test can tell when the committed artifact is stale. */
export function sourceHash(name: ContractName): string {
  const source = readFileSync(path.join(PACKAGE_ROOT, CONTRACT_SOURCES[name]), 'utf8');
  return createHash('sha256').update(source).update(JSON.stringify(COMPILER_SETTINGS)).digest('hex');
}

/** Compiles one contract with solc-js (offline, about a second). */
export function compileContract(name: ContractName): Artifact {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require('solc') as { compile(input: string, opts: unknown): string; version(): string };
  const file = CONTRACT_SOURCES[name];
  const input = {
    language: 'Solidity',
    sources: { [file]: { content: readFileSync(path.join(PACKAGE_ROOT, file), 'utf8') } },
    settings: COMPILER_SETTINGS,
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport })) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<
      string,
      Record<string, { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>
    >;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
  const compiled = output.contracts[file]?.[name];
  if (!compiled) throw new Error(`solc produced no ${name}`);
  return {
    contractName: name,
    abi: compiled.abi,
    bytecode: '0x' + compiled.evm.bytecode.object,
    deployedBytecode: '0x' + compiled.evm.deployedBytecode.object,
    compiler: solc.version(),
    sourceHash: sourceHash(name),
  };
}
