import type http from 'node:http';

/**
 * After a 413, what is left of an oversized body is read and dropped, up to these bounds, before
 * the connection closes: closing a socket that still has unread data makes the kernel send a
 * reset, and a client still uploading then reads that reset instead of the 413.
 */
export const DRAIN_MAX_BYTES = 8 * 1024 * 1024;
export const DRAIN_MAX_MS = 5_000;

const TOO_LARGE = 'Request body too large';

/**
 * Answers 413 (`connection: close`) and drains the rest of the body within bounds. The answer is
 * written whole (its content-length tells the client it is complete) but ended only once the body
 * is drained: Node closes the socket as soon as a `connection: close` response ends.
 */
export const answerTooLarge = (req: http.IncomingMessage, res: http.ServerResponse): void => {
  if (res.headersSent) {
    req.destroy();
    return;
  }
  res.writeHead(413, {
    'content-type': 'text/plain',
    'content-length': Buffer.byteLength(TOO_LARGE),
    connection: 'close',
  });
  res.write(TOO_LARGE);
  let drained = 0;
  const finish = (abort: boolean) => {
    clearTimeout(timer);
    req.off('data', onData);
    if (!res.writableEnded) res.end();
    // Past the bounds the client gets no more courtesy: the socket goes now.
    if (abort) req.socket.destroy();
  };
  const onData = (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_MAX_BYTES) finish(true);
  };
  const timer = setTimeout(() => finish(true), DRAIN_MAX_MS);
  timer.unref();
  if (req.readableEnded) {
    finish(false);
    return;
  }
  req.on('data', onData);
  req.once('end', () => finish(false));
  req.once('error', () => finish(true));
  req.resume();
};

/**
 * Reads a request body up to `limit` bytes. Calls `onBody` with the whole body, or answers 413
 * itself (declared or streamed over the limit). A client that goes away mid-body gets nothing.
 */
export const readCappedBody = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  limit: number,
  handlers: { onBody: (body: Buffer) => void; onTooLarge: () => void },
): void => {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    handlers.onTooLarge();
    answerTooLarge(req, res);
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size <= limit) {
      chunks.push(chunk);
      return;
    }
    done = true;
    req.off('data', onData);
    chunks.length = 0;
    handlers.onTooLarge();
    answerTooLarge(req, res);
  };
  req.on('data', onData);
  req.once('error', () => {
    done = true;
  });
  req.once('end', () => {
    if (done) return;
    done = true;
    handlers.onBody(Buffer.concat(chunks, size));
  });
};
