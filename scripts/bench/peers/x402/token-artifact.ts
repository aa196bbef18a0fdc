/**
 * The EIP-3009 test token's compiled artifact: compiles `contracts/X402TestToken.sol` with solc-js (offline) and
 * loads the committed `contracts/X402TestToken.json`, whose `sourceHash` tells when it is stale.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Ganache's newest hardfork is shanghai, so nothing newer (no cancun opcodes) may be emitted. */
export const TOKEN_COMPILER_SETTINGS = {
  optimizer: { enabled: true, runs: 10_000 },
  evmVersion: 'shanghai',
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
} as const;

export const TOKEN_CONTRACT_NAME = 'X402TestToken';
const CONTRACTS_DIR = path.join(__dirname, 'contracts');
const SOURCE_FILE = 'X402TestToken.sol';
export const TOKEN_ARTIFACT_PATH = path.join(CONTRACTS_DIR, 'X402TestToken.json');
const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');

export interface TokenArtifact {
  contractName: string;
  abi: unknown[];
  bytecode: `0x${string}`;
  deployedBytecode: `0x${string}`;
  compiler: string;
  sourceHash: string;
}

export function tokenSourceHash(): string {
  const source = readFileSync(path.join(CONTRACTS_DIR, SOURCE_FILE), 'utf8');
  return createHash('sha256').update(source).update(JSON.stringify(TOKEN_COMPILER_SETTINGS)).digest('hex');
}

function findImport(importPath: string): { contents: string } | { error: string } {
  try {
    return { contents: readFileSync(require.resolve(importPath, { paths: [REPO_ROOT] }), 'utf8') };
  } catch {
    return { error: `import not found: ${importPath}` };
  }
}

export function compileToken(): TokenArtifact {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require('solc') as { compile(input: string, opts: unknown): string; version(): string };
  const input = {
    language: 'Solidity',
    sources: { [SOURCE_FILE]: { content: readFileSync(path.join(CONTRACTS_DIR, SOURCE_FILE), 'utf8') } },
    settings: TOKEN_COMPILER_SETTINGS,
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport })) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts?: Record<
      string,
      Record<string, { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>
    >;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
  const compiled = output.contracts?.[SOURCE_FILE]?.[TOKEN_CONTRACT_NAME];
  if (!compiled) throw new Error(`solc produced no ${TOKEN_CONTRACT_NAME}`);
  return {
    contractName: TOKEN_CONTRACT_NAME,
    abi: compiled.abi,
    bytecode: `0x${compiled.evm.bytecode.object}`,
    deployedBytecode: `0x${compiled.evm.deployedBytecode.object}`,
    compiler: solc.version(),
    sourceHash: tokenSourceHash(),
  };
}

let loaded: TokenArtifact | null = null;

/** The committed artifact (what the benchmark deploys). */
export function loadTokenArtifact(): TokenArtifact {
  loaded ??= JSON.parse(readFileSync(TOKEN_ARTIFACT_PATH, 'utf8')) as TokenArtifact;
  return loaded;
}
