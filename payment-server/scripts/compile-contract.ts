/** Regenerates the committed contract artifacts: `npm run build:contract`. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { CONTRACT_SOURCES, artifactPath, compileContract, type ContractName } from './contracts';

for (const name of Object.keys(CONTRACT_SOURCES) as ContractName[]) {
  const artifact = compileContract(name);
  const file = artifactPath(name);
  writeFileSync(file, JSON.stringify(artifact, null, 2) + '\n');
  console.log(`${name}: ${(artifact.deployedBytecode.length - 2) / 2} bytes deployed -> ${path.relative(process.cwd(), file)}`);
}
