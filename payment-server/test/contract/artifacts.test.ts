import { CONTRACT_SOURCES, compileContract, sourceHash, type ContractName } from '../../scripts/contracts';
import { loadArtifact } from '../helpers';

const NAMES = Object.keys(CONTRACT_SOURCES) as ContractName[];

/** The committed artifacts are what the server deploys: they must be exactly what the sources compile to. */
describe('committed contract artifacts', () => {
  it.each(NAMES)('%s was built from the current source and compiler settings', (name) => {
    expect(loadArtifact(name).sourceHash).toBe(sourceHash(name));
  });

  it.each(NAMES)('%s recompiles to the same bytecode and ABI', (name) => {
    const committed = loadArtifact(name);
    const fresh = compileContract(name);
    expect(fresh.compiler).toBe(committed.compiler);
    expect(fresh.bytecode).toBe(committed.bytecode);
    expect(fresh.deployedBytecode).toBe(committed.deployedBytecode);
    expect(fresh.abi).toEqual(committed.abi);
  });
});
