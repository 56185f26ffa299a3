import { randomBytes } from 'node:crypto';
import type http from 'node:http';

/** A file the bot uploaded: what files.getUploadURLExternal promised, the bytes, and its completion. */
export interface UploadedFile {
  id: string;
  filename: string;
  length: number;
  /** What arrived at the upload URL (the file part of a multipart body, or the raw body). */
  bytes?: Buffer;
  title?: string;
  /** Where completeUploadExternal shared it, if anywhere. */
  channelId?: string;
  completed: boolean;
}

/**
 * Slack's external uploads as `files.uploadV2` makes them: `files.getUploadURLExternal` hands out
 * an upload URL on this stand-in (`POST /upload/<id>`), the bytes are posted there, and
 * `files.completeUploadExternal` makes the file. Tests read `files` to check what arrived.
 */
export class FileStore {
  readonly files = new Map<string, UploadedFile>();
  /** The stand-in's own address, set when its server listens. */
  baseUrl = '';

  clear(): void {
    this.files.clear();
  }

  reserve(filename: string, length: number): { id: string; uploadUrl: string } {
    const id = `F${randomBytes(5).toString('hex').toUpperCase()}`;
    this.files.set(id, { id, filename, length, completed: false });
    return { id, uploadUrl: `${this.baseUrl}/upload/${id}` };
  }

  /** The upload URL's route: stores the bytes; unknown ids get a 404. */
  async receive(id: string, req: http.IncomingMessage): Promise<number> {
    const file = this.files.get(id);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (!file) return 404;
    file.bytes = fileOf(Buffer.concat(chunks), String(req.headers['content-type'] ?? ''));
    return 200;
  }
}

/** The first part's content of a multipart body (as @slack/web-api posts it), else the body itself. */
const fileOf = (body: Buffer, contentType: string): Buffer => {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  const b = boundary?.[1] ?? boundary?.[2];
  if (!b) return body;
  const start = body.indexOf('\r\n\r\n');
  const end = body.indexOf(`\r\n--${b}`, start);
  return start < 0 || end < 0 ? body : body.subarray(start + 4, end);
};
