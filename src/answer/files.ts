import type { Config } from '../core/config.js';
import type { ChatMessage, FileRef, Turn } from '../core/domain.js';
import { contentText } from '../core/domain.js';
import { errorFields } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { boundName } from '../core/text.js';
import type { Downloader } from '../out/files/download.js';
import { extensionOf, type FileReading, formatBytes } from '../out/files/extract.js';
import type { FileTextStore } from '../sessions/file-texts.js';

/**
 * Files on a session's turns, read into the turns before the prompt is trimmed: each file's text
 * (cached per file id), an image (vision on), or a one-line note. The newest turn (the question)
 * is read first, so the per-request download cap spends itself on what is being asked about.
 */

export interface FileResolverDeps {
  store: Pick<FileTextStore, 'getMany' | 'set'>;
  download: Downloader;
  extract: (file: FileRef, bytes: Buffer) => Promise<FileReading>;
  limits: Pick<Config['files'], 'maxBytes' | 'maxBytesPerRequest' | 'downloadTimeoutMs' | 'vision'>;
  /**
   * `files.info`: the details of a file a message carried only as a stub (Slack Connect:
   * `file_access: check_file_info`); undefined when Slack will not say.
   */
  info?: (fileId: string) => Promise<FileRef | undefined>;
  logger: Logger;
}

/** Where a file's text starts in the prompt: also how the answer's used files are found in it. */
export const fileHeader = (name: string) => `[File: ${name}]`;

const IMAGE_TYPES = new Set(['png', 'jpg', 'jpeg', 'gif', 'webp', 'heic']);
const looksLikeImage = (f: FileRef) =>
  (f.mimetype ?? '').startsWith('image/') || IMAGE_TYPES.has(extensionOf(f).slice(1));

export const createFileResolver = (deps: FileResolverDeps) => {
  const log = deps.logger.child({ component: 'files' });
  const { limits } = deps;

  /** A stub's details from files.info, when Slack gives them (with a download link); else the stub. */
  const detailsOf = async (stub: FileRef): Promise<FileRef> => {
    if (!deps.info) return stub;
    try {
      const found = await deps.info(stub.id);
      return found?.url ? { ...found, external: stub.external === true || found.external === true } : stub;
    } catch (err) {
      log.info({ fileId: stub.id, err: errorFields(err) }, 'files.info refused; the file stays unread');
      return stub;
    }
  };

  /** One file's reading, and whether it may be cached; `budget` is what the request may still download. */
  const read = async (
    teamId: string,
    shared: FileRef,
    budget: { left: number },
    cached: FileReading | undefined,
  ): Promise<FileReading> => {
    // An image read while vision was off is a note; with vision on now, it is read again.
    if (cached && !(cached.kind === 'note' && limits.vision && looksLikeImage(shared))) return cached;
    const file = shared.url ? shared : await detailsOf(shared);
    const size = file.size ?? 0;
    const ext = extensionOf(file) || 'file';
    const note = (text: string): FileReading => ({ kind: 'note', text });
    if (size > limits.maxBytes) {
      const reading = note(
        `${formatBytes(size)}, over the ${formatBytes(limits.maxBytes)} limit per file, not read`,
      );
      await deps.store.set(teamId, file.id, reading);
      return reading;
    }
    // Not downloaded at all: it would not be sent.
    if (!limits.vision && looksLikeImage(file))
      return note(`an image (${formatBytes(size)}), not sent (image input is off)`);
    if (!file.url)
      return note(
        file.external
          ? 'an external file I cannot open; paste its contents, or share it from this workspace'
          : `a ${formatBytes(size)} ${ext} with no download link, not read`,
      );
    if (budget.left <= 0 || size > budget.left)
      return note(
        `not read: the files of this question reached the ${formatBytes(limits.maxBytesPerRequest)} limit per request`,
      );
    const cap = Math.min(limits.maxBytes, budget.left);
    const got = await deps.download(file.url, { maxBytes: cap, timeoutMs: limits.downloadTimeoutMs });
    if (!got.ok) {
      log.info({ fileId: file.id, why: got.why, status: got.status }, 'file not downloaded');
      budget.left -= got.why === 'too_big' ? cap : 0;
      switch (got.why) {
        case 'too_big': {
          if (cap < limits.maxBytes)
            return note(
              `not read: the files of this question reached the ${formatBytes(limits.maxBytesPerRequest)} limit per request`,
            );
          const reading = note(`over the ${formatBytes(limits.maxBytes)} limit per file, not read`);
          await deps.store.set(teamId, file.id, reading);
          return reading;
        }
        case 'denied':
        case 'not_allowed':
          return note(
            file.external
              ? 'shared from another organisation (Slack Connect) or an external service, and I am not allowed to read it; paste the part you need'
              : 'I am not allowed to read this file; paste the part you need',
          );
        case 'not_found':
          return note('the file is gone or not shared with me, not read');
        case 'timeout':
          return note(
            `could not be downloaded within ${Math.round(limits.downloadTimeoutMs / 1000)} s, not read`,
          );
        default:
          return note('could not be downloaded just now, not read');
      }
    }
    budget.left -= got.bytes.length;
    // Slack answers a token that may not read a file with its sign-in page, not an error.
    if (/text\/html/i.test(got.contentType) && !/^\.html?$/.test(extensionOf(file)))
      return note(
        'I am not allowed to read this file (Slack showed a sign-in page); paste the part you need',
      );
    try {
      const reading = await deps.extract(file, got.bytes);
      await deps.store.set(teamId, file.id, reading);
      return reading;
    } catch (err) {
      log.warn({ fileId: file.id, err: errorFields(err) }, 'file could not be read');
      return note('could not be read');
    }
  };

  /** The turn with its files read into `attachments` and `images` (its token count recounted). */
  const expandTurn = async (
    teamId: string,
    turn: Turn,
    budget: { left: number },
    cache: ReadonlyMap<string, FileReading>,
  ): Promise<Turn> => {
    if (!turn.files?.length || turn.role !== 'user') return turn;
    const parts: string[] = [];
    const images: { name: string; url: string }[] = [];
    for (const file of turn.files) {
      const name = boundName(file.name) || file.id;
      const reading = await read(teamId, file, budget, cache.get(file.id));
      if (reading.kind === 'text') parts.push(`${fileHeader(name)}\n${reading.text}\n[End of file: ${name}]`);
      else if (reading.kind === 'image') {
        parts.push(`${fileHeader(name)} (image, attached)`);
        images.push({ name, url: reading.url });
      } else parts.push(`[File: ${name}: ${reading.text}]`);
    }
    const { tokens: _stale, ...rest } = turn;
    return { ...rest, attachments: parts.join('\n\n'), ...(images.length ? { images } : {}) };
  };

  return {
    /** The turns (root first) with their files read: the newest turn's first. */
    async expand(teamId: string, turns: readonly Turn[]): Promise<Turn[]> {
      const budget = { left: limits.maxBytesPerRequest };
      // Every file of the thread already read, in one round trip; only the others are downloaded.
      const ids = [
        ...new Set(turns.flatMap((t) => (t.role === 'user' ? (t.files ?? []) : []).map((f) => f.id))),
      ];
      const cache = await deps.store.getMany(teamId, ids);
      const out = [...turns];
      for (let i = out.length - 1; i >= 0; i--) out[i] = await expandTurn(teamId, out[i]!, budget, cache);
      return out;
    },
  };
};

export type FileResolver = ReturnType<typeof createFileResolver>;

/** The files whose text or image made it into the prompt (after trimming), by name, once each. */
export const filesUsed = (turns: readonly Turn[], messages: readonly ChatMessage[]): string[] => {
  const text = messages.map((m) => contentText(m.content)).join('\n');
  const names = turns.flatMap((t) => (t.files ?? []).map((f) => boundName(f.name) || f.id));
  return [
    ...new Set(
      names.filter((n) => text.includes(`${fileHeader(n)}\n`) || text.includes(`${fileHeader(n)} (image`)),
    ),
  ];
};
