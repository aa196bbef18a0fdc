/** Regenerates the committed contract artifacts: `npm run build:contract`. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { CONTRACT_SOURCES, compileContract, type ContractName } from '../src/contract/compile';

for (const name of Object.keys(CONTRACT_SOURCES) as ContractName[]) {
  const artifact = compileContract(name);
  const file = path.join(__dirname, '..', 'src', 'contract', 'artifacts', `${name}.json`);
  writeFileSync(file, JSON.stringify(artifact, null, 2) + '\n');
  console.log(`${name}: ${(artifact.deployedBytecode.length - 2) / 2} bytes deployed -> ${path.relative(process.cwd(), file)}`);
}
