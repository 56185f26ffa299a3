import type { Redis } from 'ioredis';
import type { FileReading } from '../out/files/extract.js';
import type { Keys } from './keys.js';

export interface FileTextDeps {
  redis: Pick<Redis, 'get' | 'set'>;
  keys: Pick<Keys, 'fileText'>;
  /** HISTORY_TTL_SECONDS: what was read from a file lives as long as the history that names it. */
  ttlSeconds: number;
}

/**
 * What was read from each shared file, per workspace and file id, so a thread's files are
 * downloaded and parsed once, not at every question. A reading that could change (a denied or
 * failed download) is never stored here.
 */
export const createFileTextStore = (deps: FileTextDeps) => ({
  async get(teamId: string, fileId: string): Promise<FileReading | undefined> {
    const raw = await deps.redis.get(deps.keys.fileText(teamId, fileId));
    if (!raw) return undefined;
    try {
      return JSON.parse(raw) as FileReading;
    } catch {
      return undefined;
    }
  },
  async set(teamId: string, fileId: string, reading: FileReading): Promise<void> {
    await deps.redis.set(deps.keys.fileText(teamId, fileId), JSON.stringify(reading), 'EX', deps.ttlSeconds);
  },
});

export type FileTextStore = ReturnType<typeof createFileTextStore>;
