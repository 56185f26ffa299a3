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

/**
 * A file a user shares on a message, as a test seeds it: its bytes (or a body of `generate` bytes
 * made on the fly, for a 50 MB file nobody keeps in memory), and how Slack treats it: `denied`
 * (a Slack Connect or external file the bot may not read: 403), `gone` (deleted: 404).
 */
export interface SharedFileSeed {
  name: string;
  bytes?: Buffer;
  generate?: number;
  mimetype?: string;
  filetype?: string;
  /** What the file object says its size is (default: the real size), to play a file that lies. */
  size?: number;
  /** Answer without content-length (chunked), so only the reader's own count can stop it. */
  chunked?: boolean;
  external?: 'denied' | 'gone';
  /** Slack Connect stub on the message (`file_access: check_file_info`): details only from files.info. */
  stub?: boolean;
}

export interface SharedFile extends SharedFileSeed {
  id: string;
  url: string;
}

/** One download of a shared file: who asked with which token, and what they were answered. */
export interface FileDownload {
  id: string;
  token: string | undefined;
  status: number;
  /** Bytes written before the response ended or the client went away. */
  sent: number;
}

/** A shared file's size, as its object says it. */
const sizeOf = (f: SharedFileSeed) => f.size ?? f.bytes?.length ?? f.generate ?? 0;

/** Files users shared on messages: `url_private_download` on the stand-in, which wants the bot token. */
export class SharedFiles {
  readonly files = new Map<string, SharedFile>();
  readonly downloads: FileDownload[] = [];

  clear(): void {
    this.files.clear();
    this.downloads.length = 0;
  }

  add(seed: SharedFileSeed, baseUrl: string): SharedFile {
    const id = `F${randomBytes(5).toString('hex').toUpperCase()}`;
    const file = { ...seed, id, url: `${baseUrl}/files-pri/${id}/download/${encodeURIComponent(seed.name)}` };
    this.files.set(id, file);
    return file;
  }

  /** The file object Slack puts on messages and in files.info. */
  object(f: SharedFile, opts: { stub?: boolean } = {}): Record<string, unknown> {
    if (opts.stub) return { id: f.id, mode: 'file_access', file_access: 'check_file_info' };
    const ext = /\.([a-z0-9]+)$/i.exec(f.name)?.[1]?.toLowerCase();
    return {
      id: f.id,
      name: f.name,
      title: f.name,
      mimetype: f.mimetype ?? 'application/octet-stream',
      filetype: f.filetype ?? ext ?? 'binary',
      size: sizeOf(f),
      mode: f.external ? 'external' : 'hosted',
      is_external: f.external !== undefined,
      url_private: f.url.replace('/download/', '/'),
      url_private_download: f.url,
    };
  }

  /**
   * `GET /files-pri/<id>/download/<name>`: 401 unless `allowed(token)` (the bot token of the
   * file's workspace), 403 for a file the bot may not read, 404 for a deleted or unknown one.
   */
  async serve(
    id: string,
    token: string | undefined,
    allowed: (token: string | undefined) => boolean,
    res: http.ServerResponse,
  ): Promise<void> {
    const f = this.files.get(id);
    const record: FileDownload = { id, token, status: 0, sent: 0 };
    this.downloads.push(record);
    const end = (status: number, text: string) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
    };
    if (!f || f.external === 'gone') return end(404, 'file_not_found');
    if (!allowed(token)) return end(401, 'not_authed');
    if (f.external === 'denied') return end(403, 'access_denied');
    const total = f.bytes?.length ?? f.generate ?? 0;
    record.status = 200;
    res.writeHead(200, {
      'content-type': f.mimetype ?? 'application/octet-stream',
      ...(f.chunked ? {} : { 'content-length': String(total) }),
    });
    if (f.bytes) {
      record.sent = f.bytes.length;
      res.end(f.bytes);
      return;
    }
    // A generated body, written 64 KB at a time while the client still reads.
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    while (record.sent < total && !res.destroyed) {
      const piece = chunk.subarray(0, Math.min(chunk.length, total - record.sent));
      record.sent += piece.length;
      if (!res.write(piece))
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done).off('close', done);
            resolve();
          };
          res.on('drain', done).on('close', done);
        });
    }
    res.end();
  }
}
