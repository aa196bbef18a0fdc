/**
 * The thesis stack (compose/docker-stack.thesis.yml, rendered from the `thesis` topology): its services, which of
 * them keep state, and the node labels its placement constraints ask for (the topology's default placement).
 */
import path from 'node:path';
import { REPO } from '../docker/context';

export const THESIS_STACK_FILE = path.join(REPO, 'compose', 'docker-stack.thesis.yml');
export const THESIS_SERVICES = [
  'chain',
  'deploy',
  'payment-server-1',
  'payment-server-2',
  'random-number',
  'persistence',
  'public',
] as const;
export type ThesisService = (typeof THESIS_SERVICES)[number];
export const THESIS_ONE_SHOTS: readonly ThesisService[] = ['deploy'];
/** Services that keep state in node-local volumes: pinned to the node labelled chanpay.stateful=true. */
export const THESIS_STATEFUL: readonly ThesisService[] = ['payment-server-1', 'payment-server-2', 'persistence'];
/** Services without state of their own: Swarm may run them on any node labelled chanpay.role=services. */
export const THESIS_STATELESS: readonly ThesisService[] = ['random-number', 'public'];

export const ROLE = 'chanpay.role';
export const STATEFUL = 'chanpay.stateful';
/** Node labels by position: the manager holds the chain, the next node the stateful services, any further the rest. */
export const thesisNodeLabels = (nodes: number): Record<string, string>[] =>
  Array.from(
    { length: nodes },
    (_, i): Record<string, string> =>
      i === 0 ? { [ROLE]: 'chain' } : i === 1 ? { [ROLE]: 'services', [STATEFUL]: 'true' } : { [ROLE]: 'services' },
  );
