/** Regenerates the committed contract artifacts: `npm run build:contract`. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseCommandLine } from '@chanpay/devkit/cli';
import { CONTRACT_SOURCES, artifactPath, compileContract, type ContractName } from './contracts';

parseCommandLine({
  command: 'npm run build:contract --',
  summary: `Compiles ${Object.keys(CONTRACT_SOURCES).join(', ')} with solc-js and rewrites their committed artifacts.`,
  options: {},
});

for (const name of Object.keys(CONTRACT_SOURCES) as ContractName[]) {
  const artifact = compileContract(name);
  const file = artifactPath(name);
  writeFileSync(file, JSON.stringify(artifact, null, 2) + '\n');
  console.log(`${name}: ${(artifact.deployedBytecode.length - 2) / 2} bytes deployed -> ${path.relative(process.cwd(), file)}`);
}
