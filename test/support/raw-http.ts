import net from 'node:net';

/** What came back on a raw connection. */
export interface RawResult {
  /** Everything the server sent, as latin1 text. */
  text: string;
  /** The status of each response in it, in order (pipelining gives several). */
  statuses: number[];
  /** A socket error (ECONNRESET, EPIPE…), if one happened. */
  error?: string;
  /** True when the server closed the connection before `timeoutMs`. */
  closed: boolean;
}

export const statusesIn = (text: string): number[] =>
  [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));

/**
 * Opens a TCP connection, lets `send` write to it (whatever bytes, at whatever pace), and collects
 * the answer until the server closes or `timeoutMs` passes. With `readAfterSend`, nothing is read
 * until `send` has finished: a client that uploads its whole body before looking at the answer.
 */
export const rawExchange = (
  port: number,
  send: string | Buffer | ((socket: net.Socket) => Promise<void>),
  opts: { timeoutMs?: number; readAfterSend?: boolean } = {},
): Promise<RawResult> =>
  new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let error: string | undefined;
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ text, statuses: statusesIn(text), closed, ...(error ? { error } : {}) });
    };
    const timer = setTimeout(() => finish(false), opts.timeoutMs ?? 3_000);
    socket.on('error', (err: NodeJS.ErrnoException) => {
      error = err.code ?? err.message;
      finish(true);
    });
    socket.on('close', () => finish(true));
    const read = () => socket.on('data', (d: Buffer) => chunks.push(d));
    if (opts.readAfterSend) socket.pause();
    else read();
    socket.once('connect', () => {
      const sending =
        typeof send === 'function'
          ? send(socket)
          : new Promise<void>((done) => socket.write(send, () => done()));
      sending.then(
        () => {
          if (opts.readAfterSend) {
            read();
            socket.resume();
          }
        },
        (err: Error) => {
          error ??= err.message;
        },
      );
    });
  });

/** Writes and waits until the data has been handed to the kernel. */
export const writeAll = (socket: net.Socket, data: string | Buffer): Promise<void> =>
  new Promise((resolve, reject) => {
    socket.write(data, (err) => (err ? reject(err) : resolve()));
  });
