import { currentWorkspace } from '../../core/workspace.js';

/**
 * Downloads a shared file from `url_private_download` with the bot token of the workspace the work
 * runs in (never a global token: with OAuth each workspace has its own bot), streaming with a byte
 * cap (a 50 MB body is cut off at the cap, never buffered) and a deadline.
 */

export type Download =
  | { ok: true; bytes: Buffer; contentType: string }
  | {
      ok: false;
      /**
       * `too_big`: past the cap (the body was not read to its end); `denied`: 401/403, or a
       * redirect to a sign-in page (what Slack answers a token that may not read the file);
       * `not_found`: 404/410; `timeout`; `failed`: anything else (network, 5xx).
       */
      why: 'too_big' | 'denied' | 'not_found' | 'timeout' | 'failed' | 'not_allowed';
      status?: number;
    };

export interface DownloadDeps {
  /** Origins the bot token may be sent to: Slack's file host, and SLACK_API_URL's (a stand-in). */
  allowedOrigins: readonly string[];
  fetch?: typeof fetch;
}

export const SLACK_FILES_ORIGIN = 'https://files.slack.com';

/** The origins a file may be downloaded from: Slack's, and that of a custom Slack API URL. */
export const fileOrigins = (apiUrl: string | undefined): string[] => [
  SLACK_FILES_ORIGIN,
  ...(apiUrl ? [new URL(apiUrl).origin] : []),
];

export const createDownloader = (deps: DownloadDeps) => {
  const doFetch = deps.fetch ?? fetch;
  return async (url: string, opts: { maxBytes: number; timeoutMs: number }): Promise<Download> => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return { ok: false, why: 'not_allowed' };
    }
    // The token goes only to Slack: a URL from a message must never take it elsewhere.
    const token = currentWorkspace()?.botToken;
    if (!token || !deps.allowedOrigins.includes(parsed.origin)) return { ok: false, why: 'not_allowed' };
    const abort = new AbortController();
    // A plain timer, not AbortSignal.timeout: see PLATFORM-FACTS (deadlines in long-lived processes).
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort(new Error('file download timed out'));
    }, opts.timeoutMs);
    try {
      const res = await doFetch(parsed, {
        headers: { authorization: `Bearer ${token}` },
        // A redirect is Slack's sign-in page for a token that may not read the file; following it
        // would also carry the request elsewhere.
        redirect: 'manual',
        signal: abort.signal,
      });
      const status = res.status;
      if (status === 401 || status === 403 || (status >= 300 && status < 400)) {
        await res.body?.cancel().catch(() => undefined);
        return { ok: false, why: 'denied', status };
      }
      if (status === 404 || status === 410) {
        await res.body?.cancel().catch(() => undefined);
        return { ok: false, why: 'not_found', status };
      }
      if (!res.ok || !res.body) {
        await res.body?.cancel().catch(() => undefined);
        return { ok: false, why: 'failed', status };
      }
      const declared = Number(res.headers.get('content-length'));
      if (Number.isFinite(declared) && declared > opts.maxBytes) {
        await res.body.cancel().catch(() => undefined);
        return { ok: false, why: 'too_big', status };
      }
      const chunks: Uint8Array[] = [];
      let total = 0;
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > opts.maxBytes) {
          await reader.cancel().catch(() => undefined);
          return { ok: false, why: 'too_big', status };
        }
        chunks.push(value);
      }
      const contentType = res.headers.get('content-type') ?? '';
      return { ok: true, bytes: Buffer.concat(chunks), contentType };
    } catch {
      return { ok: false, why: timedOut ? 'timeout' : 'failed' };
    } finally {
      clearTimeout(timer);
    }
  };
};

export type Downloader = ReturnType<typeof createDownloader>;
