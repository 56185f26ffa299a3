import { asString, fail, required } from '../params.js';
import type { Handler } from './handler.js';

/** External uploads (files.uploadV2's first and last steps); the bytes go to the stand-in's upload URL. */
export const fileMethods: Record<string, Handler> = {
  /** A shared file's details (what a Slack Connect stub on a message leaves out). */
  'files.info': (p, { ws }) => {
    const id = required(p, 'file', 'invalid_arguments');
    const file = ws.shared.files.get(id);
    if (!file || file.external === 'gone') throw fail('file_not_found');
    return { file: ws.shared.object(file) };
  },
  'files.getUploadURLExternal': (p, { ws }) => {
    const filename = required(p, 'filename', 'invalid_arguments');
    const length = Number(asString(p.length));
    if (!Number.isInteger(length) || length <= 0) throw fail('invalid_arguments');
    const { id, uploadUrl } = ws.files.reserve(filename, length);
    return { upload_url: uploadUrl, file_id: id };
  },
  'files.completeUploadExternal': (p, { ws }) => {
    const raw = asString(p.files);
    let list: { id?: string; title?: string }[] = [];
    try {
      list = typeof p.files === 'string' ? JSON.parse(raw ?? '[]') : (p.files as typeof list);
    } catch {
      throw fail('invalid_arguments');
    }
    const channelId = asString(p.channel_id);
    const files = list.map((f) => {
      const file = f.id ? ws.files.files.get(f.id) : undefined;
      if (!file?.bytes) throw fail('file_not_found');
      file.completed = true;
      if (f.title) file.title = f.title;
      if (channelId) file.channelId = channelId;
      return {
        id: file.id,
        name: file.filename,
        title: file.title ?? file.filename,
        size: file.bytes.length,
      };
    });
    return { files };
  },
};
