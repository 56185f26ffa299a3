import { z } from 'zod';
import type { FileRef } from '../../core/domain.js';

/**
 * A file object on a Slack message (events and `conversations.replies` alike), as far as we read
 * it. Slack Connect files may come as a stub (`file_access: "check_file_info"`) with the id only:
 * the details then need `files.info`, which the reader calls when it reads the file.
 */
const slackFileSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9]{1,64}$/),
  name: z.string().max(1000).nullish(),
  title: z.string().max(1000).nullish(),
  mimetype: z.string().max(200).nullish(),
  filetype: z.string().max(64).nullish(),
  size: z.number().int().min(0).nullish(),
  url_private_download: z.string().max(2048).nullish(),
  mode: z.string().max(64).nullish(),
  is_external: z.boolean().nullish(),
  file_access: z.string().max(64).nullish(),
});

/** Files a message may carry (Slack allows 10 per message; a few more is harmless). */
export const MAX_FILES_PER_MESSAGE = 20;

export const slackFilesSchema = z.array(z.unknown()).max(MAX_FILES_PER_MESSAGE);

/** The files of a message as references; entries that are not files (or were deleted) are left out. */
export const toFileRefs = (files: unknown): FileRef[] => {
  if (!Array.isArray(files)) return [];
  const refs: FileRef[] = [];
  for (const raw of files.slice(0, MAX_FILES_PER_MESSAGE)) {
    const parsed = slackFileSchema.safeParse(raw);
    if (!parsed.success) continue;
    const f = parsed.data;
    if (f.mode === 'tombstone' || f.mode === 'hidden_by_limit') continue;
    const external = f.is_external === true || f.mode === 'external' || f.file_access === 'check_file_info';
    refs.push({
      id: f.id,
      name: (f.name || f.title || f.id).slice(0, 300),
      ...(f.mimetype ? { mimetype: f.mimetype } : {}),
      ...(f.filetype ? { filetype: f.filetype } : {}),
      ...(typeof f.size === 'number' ? { size: f.size } : {}),
      ...(f.url_private_download ? { url: f.url_private_download } : {}),
      ...(external ? { external: true } : {}),
    });
  }
  return refs;
};
