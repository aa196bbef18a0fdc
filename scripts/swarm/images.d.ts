import Docker from 'dockerode';
import type { Engine } from './engine';
/** The images the thesis stack runs. */
export declare const STACK_IMAGES: readonly ["chain", "payment-server", "random-number", "persistence", "public"];
export declare const imageRef: (name: string, tag?: string) => string;
/** Images missing on the host's engine (the default socket or DOCKER_HOST). */
export declare function missingImages(refs: readonly string[], host?: Docker): Promise<string[]>;
/** `docker save` of the images into one tar (layers they share are stored once). */
export declare function saveImages(refs: readonly string[], file: string): Promise<{
    bytes: number;
}>;
/** Loads the tar into the engine and checks that every image is there afterwards. */
export declare function loadImages(engine: Engine, file: string, refs: readonly string[]): Promise<void>;
