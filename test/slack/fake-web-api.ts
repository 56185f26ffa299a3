import nock from 'nock';

/**
 * Slack's Web API at the HTTP edge, for the poster's tests: nock answers `POST /api/<method>` at a
 * fake base URL, records every call with its decoded parameters, and keeps what each message shows
 * (posted text or markdown block, edits, streamed appends) so tests can read the thread back.
 */

export const SLACK_BASE = 'http://slack.test';
export const SLACK_API_URL = `${SLACK_BASE}/api/`;

export type Params = Record<string, unknown>;

export interface Call {
  method: string;
  params: Params;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: Record<string, unknown>;
}

/** Returns a reply to override the default, or undefined to let the default answer. */
export type Override = (params: Params, nth: number) => Reply | undefined;

export interface StoredMessage {
  ts: string;
  channel: string;
  threadTs: string | undefined;
  /** What the message shows: the markdown block's text when there is one, else `text`. */
  markdown: string;
  streaming: boolean;
  metadata: unknown;
}

const decode = (raw: string, contentType: string | null): Params => {
  if (contentType?.includes('application/json')) return JSON.parse(raw || '{}') as Params;
  const params: Params = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    if (/^[[{]/.test(v)) {
      try {
        params[k] = JSON.parse(v);
        continue;
      } catch {
        // not JSON after all
      }
    }
    params[k] = v;
  }
  return params;
};

const shownText = (params: Params): string => {
  const blocks = params.blocks as Array<{ type?: string; text?: unknown }> | undefined;
  const md = blocks?.find((b) => b.type === 'markdown');
  if (md && typeof md.text === 'string') return md.text;
  return typeof params.text === 'string' ? params.text : '';
};

export const fakeSlack = () => {
  const calls: Call[] = [];
  const overrides = new Map<string, Override>();
  const counts = new Map<string, number>();
  const messages = new Map<string, StoredMessage>();
  let seq = 0;
  const nextTs = () => `1700000000.${String(++seq).padStart(6, '0')}`;

  const defaults = (method: string, p: Params): Reply => {
    const channel = String(p.channel ?? p.channel_id ?? '');
    switch (method) {
      case 'chat.postMessage':
      case 'chat.startStream': {
        const ts = nextTs();
        const markdown = method === 'chat.startStream' ? String(p.markdown_text ?? '') : shownText(p);
        messages.set(ts, {
          ts,
          channel,
          threadTs: typeof p.thread_ts === 'string' ? p.thread_ts : undefined,
          markdown,
          streaming: method === 'chat.startStream',
          metadata: p.metadata,
        });
        return { body: { ok: true, channel, ts } };
      }
      case 'chat.update':
      case 'chat.appendStream':
      case 'chat.stopStream': {
        const m = messages.get(String(p.ts));
        if (!m) return { body: { ok: false, error: 'message_not_found' } };
        if (method === 'chat.update') m.markdown = shownText(p);
        else {
          if (!m.streaming) return { body: { ok: false, error: 'message_not_in_streaming_state' } };
          m.markdown += String(p.markdown_text ?? '');
          if (method === 'chat.stopStream') m.streaming = false;
        }
        return { body: { ok: true, channel, ts: m.ts } };
      }
      case 'conversations.replies':
        return { body: { ok: true, messages: [], has_more: false } };
      default:
        return { body: { ok: true } };
    }
  };

  const scope = nock(SLACK_BASE)
    .persist()
    .post(/^\/api\/[\w.]+$/)
    // nock 15 hands a reply function the fetch `Request`.
    .reply(async (request: Request) => {
      const method = new URL(request.url).pathname.replace(/^\/api\//, '');
      const params = decode(await request.text(), request.headers.get('content-type'));
      calls.push({ method, params });
      const nth = (counts.get(method) ?? 0) + 1;
      counts.set(method, nth);
      const reply = overrides.get(method)?.(params, nth) ?? defaults(method, params);
      return [
        reply.status ?? 200,
        reply.body ?? { ok: true },
        { 'content-type': 'application/json', ...reply.headers },
      ];
    });

  return {
    calls,
    messages,
    scope,
    /** Replaces the default answer of `method` whenever `fn` returns a reply. */
    on(method: string, fn: Override) {
      overrides.set(method, fn);
    },
    callsTo(method: string): Params[] {
      return calls.filter((c) => c.method === method).map((c) => c.params);
    },
    /** Messages in a channel, in posting order. */
    thread(channel: string): StoredMessage[] {
      return [...messages.values()].filter((m) => m.channel === channel);
    },
  };
};

export type FakeSlack = ReturnType<typeof fakeSlack>;

/**
 * Time for tests. `auto`: every sleep advances the clock and resolves at once (records the ms).
 * Manual: sleeps wait until `advance` passes their deadline (or their signal aborts).
 */
export const testClock = (opts: { auto: boolean }) => {
  let t = 1_700_000_000_000;
  const sleeps: number[] = [];
  const waiting: Array<{ at: number; resolve: () => void }> = [];
  return {
    sleeps,
    now: () => t,
    sleep: (ms: number, signal?: AbortSignal): Promise<void> => {
      sleeps.push(ms);
      if (opts.auto) {
        t += Math.max(0, ms);
        return new Promise((resolve) => setImmediate(resolve));
      }
      return new Promise<void>((resolve) => {
        const entry = { at: t + ms, resolve };
        waiting.push(entry);
        signal?.addEventListener(
          'abort',
          () => {
            const i = waiting.indexOf(entry);
            if (i !== -1) waiting.splice(i, 1);
            resolve();
          },
          { once: true },
        );
      });
    },
    advance(ms: number) {
      t += ms;
      for (const w of [...waiting]) {
        if (w.at <= t) {
          waiting.splice(waiting.indexOf(w), 1);
          w.resolve();
        }
      }
    },
    pending: () => waiting.length,
  };
};
