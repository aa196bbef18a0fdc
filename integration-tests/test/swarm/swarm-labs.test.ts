/**
 * The Swarm lab suites, one after the other in one jest worker (each builds, uses and tears down its own lab):
 * two labs starting a dozen containers at once on two shared cores left healthchecks timing out past the
 * deploy's bound. thesis-swarm.suite.ts: the thesis on three nodes, a node killed; chain-swarm.suite.ts: chain:3
 * on two nodes through `npm run scenario -- swarm`, a task killed.
 */
import './thesis-swarm.suite';
import './chain-swarm.suite';
