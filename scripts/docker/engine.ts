/** The Docker engine, through dockerode on the default socket (or DOCKER_HOST). */
import Docker from 'dockerode';

let client: Docker | undefined;

export function docker(): Docker {
  client ??= new Docker();
  return client;
}

/** Why no engine can be used here, or null when one answers. */
export async function engineUnavailableReason(): Promise<string | null> {
  try {
    await Promise.race([
      docker().ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 3 s')), 3000).unref()),
    ]);
    return null;
  } catch (e) {
    const msg = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    return `no Docker engine answers on ${process.env.DOCKER_HOST ?? '/var/run/docker.sock'} (${msg}); run .ci/setup-docker.sh or start Docker`;
  }
}

export async function imageExists(tag: string): Promise<boolean> {
  try {
    await docker().getImage(tag).inspect();
    return true;
  } catch {
    return false;
  }
}

/** Demultiplexes a non-TTY container log stream into text lines. */
export function demuxLines(stream: NodeJS.ReadableStream, onLine: (line: string, stream: 'stdout' | 'stderr') => void): void {
  let pending = Buffer.alloc(0);
  const partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  stream.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) break;
      const which = pending[0] === 2 ? 'stderr' : 'stdout';
      const text = partial[which] + pending.subarray(8, 8 + size).toString('utf8');
      pending = pending.subarray(8 + size);
      const lines = text.split('\n');
      partial[which] = lines.pop() ?? '';
      for (const line of lines) onLine(line, which);
    }
  });
  stream.on('end', () => {
    for (const which of ['stdout', 'stderr'] as const) if (partial[which]) onLine(partial[which], which);
  });
}
