/** Regenerates (or, with --check, checks) the committed artifact of the EIP-3009 test token. */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { compileToken, tokenSourceHash, loadTokenArtifact, TOKEN_ARTIFACT_PATH } from './token-artifact';

const USAGE = `usage: npx tsx scripts/bench/peers/x402/build-token.ts [--check] [--help]
  Compiles scripts/bench/peers/x402/contracts/X402TestToken.sol with solc-js (evmVersion shanghai) and writes
  contracts/X402TestToken.json.
  --check   write nothing; exit 1 if the committed artifact is missing or stale (its sourceHash differs)
  --help    this text`;

function main(): void {
  let values: { check?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({ options: { check: { type: 'boolean' }, help: { type: 'boolean' } }, strict: true }));
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const relative = path.relative(process.cwd(), TOKEN_ARTIFACT_PATH);
  if (values.check) {
    const fresh = existsSync(TOKEN_ARTIFACT_PATH) && loadTokenArtifact().sourceHash === tokenSourceHash();
    console.log(fresh ? `${relative} is up to date` : `${relative} is stale: run this script without --check`);
    process.exit(fresh ? 0 : 1);
  }
  const artifact = compileToken();
  writeFileSync(TOKEN_ARTIFACT_PATH, JSON.stringify(artifact, null, 2) + '\n');
  console.log(
    `${artifact.contractName}: ${(artifact.deployedBytecode.length - 2) / 2} bytes deployed (${artifact.compiler}) -> ${relative}`,
  );
}

main();
