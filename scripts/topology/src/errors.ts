import type { FieldPath } from './model';

export interface TopologyIssue {
  path: FieldPath;
  message: string;
}

/** `services[2].price`, `calls.public[0].calls[1].to`; `(root)` for the whole file. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out || '(root)';
}

/** A topology that cannot run, with every problem found, each naming its field. Thrown before anything starts. */
export class TopologyError extends Error {
  readonly issues: TopologyIssue[];

  constructor(issues: TopologyIssue[], source = 'topology') {
    super(`invalid ${source}:\n${issues.map((i) => `  ${formatPath(i.path)}: ${i.message}`).join('\n')}`);
    this.name = 'TopologyError';
    this.issues = issues;
  }
}
