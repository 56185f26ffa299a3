import type { Redis } from 'ioredis';
import type { FileReading } from '../out/files/extract.js';
import type { Keys } from './keys.js';

export interface FileTextDeps {
  redis: Pick<Redis, 'mget' | 'set'>;
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
  /**
   * What was read from each of these files, by id (the ones not read yet left out): one round trip
   * for all the files of a thread, whatever their number.
   */
  async getMany(teamId: string, fileIds: readonly string[]): Promise<Map<string, FileReading>> {
    const found = new Map<string, FileReading>();
    if (fileIds.length === 0) return found;
    const raws = await deps.redis.mget(...fileIds.map((id) => deps.keys.fileText(teamId, id)));
    raws.forEach((raw, i) => {
      if (!raw) return;
      try {
        found.set(fileIds[i]!, JSON.parse(raw) as FileReading);
      } catch {
        // An unreadable entry is read again from the file.
      }
    });
    return found;
  },
  async set(teamId: string, fileId: string, reading: FileReading): Promise<void> {
    await deps.redis.set(deps.keys.fileText(teamId, fileId), JSON.stringify(reading), 'EX', deps.ttlSeconds);
  },
});

export type FileTextStore = ReturnType<typeof createFileTextStore>;
