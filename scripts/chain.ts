/**
 * The embedded ganache chain as a process of its own, so that its CPU time can be told apart from the process
 * that starts the network (the benchmark's load generator). One program serves both this command and
 * `startTopology(…, { chainProcess: true })`: `@chanpay/topology/chain-process` (`--help` lists its environment).
 */
import '@chanpay/topology/chain-process';
