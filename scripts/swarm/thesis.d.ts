export declare const THESIS_STACK_FILE: string;
export declare const THESIS_SERVICES: readonly ["chain", "deploy", "payment-server-1", "payment-server-2", "random-number", "persistence", "public"];
export type ThesisService = (typeof THESIS_SERVICES)[number];
export declare const THESIS_ONE_SHOTS: readonly ThesisService[];
/** Services that keep state in node-local volumes: pinned to the node labelled chanpay.stateful=true. */
export declare const THESIS_STATEFUL: readonly ThesisService[];
/** Services without state of their own: Swarm may run them on any node labelled chanpay.role=services. */
export declare const THESIS_STATELESS: readonly ThesisService[];
export declare const ROLE = "chanpay.role";
export declare const STATEFUL = "chanpay.stateful";
/** Node labels by position: the manager holds the chain, the next node the stateful services, any further the rest. */
export declare const thesisNodeLabels: (nodes: number) => Record<string, string>[];
/** The settings the stack needs: compose/.env's keys and tokens (see scripts/docker/env.ts) and an admin token. */
export type ThesisSettings = Record<string, string>;
/** One secret per file name of the stack's `secrets:` section. */
export declare function thesisSecrets(s: ThesisSettings): Record<string, string>;
/** A fresh admin token for the services' /init, /redeem and /terminate. */
export declare const newAdminToken: () => string;
/** Writes the secrets, one file each, readable by the owner only, in a folder only the owner may enter. */
export declare function writeSecretFiles(dir: string, secrets: Record<string, string>): void;
/** The non-secret variables the stack file interpolates, from the settings; ports keep their defaults unless set. */
export declare function thesisStackEnv(s: ThesisSettings, secretsDir: string): Record<string, string>;
/** The port a service listens on (and publishes, in host mode, on the node that runs it). */
export declare function thesisPort(s: ThesisSettings, service: 'chain' | 'random-number' | 'persistence' | 'public'): number;
