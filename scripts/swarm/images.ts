/**
 * The project's images on every node: saved once from the host's engine (where `npm run scenario -- build`
 * built them) and loaded into each lab engine in parallel. No registry: none can be pulled from here, and a
 * local one would need its own image plus insecure-registry settings on every engine, to move the same bytes.
 */
import { createReadStream, statSync } from 'node:fs';
import Docker from 'dockerode';
import { run } from './run';
import type { Engine } from './engine';

/** The images the thesis stack runs. */
export const STACK_IMAGES = ['chain', 'payment-server', 'random-number', 'persistence', 'public'] as const;

export const imageRef = (name: string, tag = process.env.CHANPAY_TAG || 'latest') => `chanpay/${name}:${tag}`;

/** Images missing on the host's engine (the default socket or DOCKER_HOST). */
export async function missingImages(refs: readonly string[], host = new Docker()): Promise<string[]> {
  const missing: string[] = [];
  for (const ref of refs) {
    try {
      await host.getImage(ref).inspect();
    } catch {
      missing.push(ref);
    }
  }
  return missing;
}

/** `docker save` of the images into one tar (layers they share are stored once). */
export async function saveImages(refs: readonly string[], file: string): Promise<{ bytes: number }> {
  const env = { ...process.env };
  delete env.DOCKER_CONTEXT;
  await run('docker', ['save', '-o', file, ...refs], { timeoutMs: 180_000, env });
  return { bytes: statSync(file).size };
}

/** Loads the tar into the engine and checks that every image is there afterwards. */
export async function loadImages(engine: Engine, file: string, refs: readonly string[]): Promise<void> {
  const response = await engine.client.loadImage(createReadStream(file), { quiet: true });
  let failure: string | undefined;
  await new Promise<void>((resolve, reject) =>
    engine.client.modem.followProgress(
      response,
      (err: Error | null) => (err ? reject(err) : resolve()),
      (event: { error?: string; errorDetail?: { message?: string } }) => {
        if (event.error) failure = event.errorDetail?.message ?? event.error;
      },
    ),
  );
  if (failure) throw new Error(`loading images into ${engine.name} failed: ${failure}`);
  const missing = await missingImages(refs, engine.client);
  if (missing.length > 0) throw new Error(`after loading, ${engine.name} lacks ${missing.join(', ')}`);
}
