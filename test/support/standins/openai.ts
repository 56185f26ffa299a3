import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { listenOnLoopback } from './slack-api.js';

/**
 * A stand-in for OpenAI's Chat Completions endpoint (`POST /v1/chat/completions`), streaming (SSE
 * `chat.completion.chunk`s ending in `data: [DONE]`) and not. The bot reaches it through
 * `OPENAI_BASE_URL` (`baseUrl` below).
 *
 * Answers echo the context they were given — `[messages=5 last="<last user message>"]` then filler
 * words — so a test can tell that thread history arrived. Timing (time to first token, tokens per
 * second) is settable, and faults queue up in order, so "429, then success" is two lines.
 */

export interface ChatMessageLike {
  role: string;
  content?: unknown;
  name?: string;
}

export interface CompletionRequest {
  /** Date.now() when the request arrived. */
  at: number;
  body: Record<string, unknown>;
  model: string;
  messages: ChatMessageLike[];
  max_tokens: number | undefined;
  stream: boolean;
  authorization: string | undefined;
  /** What happened: `ok`, a fault kind, or `client_closed` when the client went away first. */
  outcome?: 'ok' | 'client_closed' | OpenAIFault['kind'];
  /** The answer it was (or would have been) given in full. */
  answer?: string;
}

export type OpenAIFault =
  /** HTTP 429 `rate_limit_exceeded`, with `retry-after` (seconds) and optionally `retry-after-ms`. */
  | { kind: '429'; retryAfter?: number; retryAfterMs?: number }
  /** HTTP 429 `insufficient_quota`: never succeeds on retry, so no `retry-after`. */
  | { kind: 'insufficient_quota' }
  /** HTTP 5xx (default 500) with OpenAI's `server_error` body. */
  | { kind: '5xx'; status?: number }
  /** Any other status and error body, e.g. 400 `context_length_exceeded`. */
  | {
      kind: 'error';
      status: number;
      error: { message: string; type: string; code: string | null; param?: string | null };
      headers?: Record<string, string>;
    }
  /** Accept and never answer. */
  | { kind: 'hang' }
  /** Stream `afterChunks` content chunks (default 3), then go silent without closing. */
  | { kind: 'stall'; afterChunks?: number }
  /** Stream `afterChunks` content chunks (default 3), then destroy the socket. */
  | { kind: 'cut'; afterChunks?: number };

export interface AnswerSettings {
  /** Delay before the first content chunk (and, when not streaming, part of the total delay). Default 0. */
  ttftMs: number;
  /** Pace of content chunks (one token each). Default Infinity: all at once. */
  tokensPerSecond: number;
  /** Filler words after the context echo. Default 12. */
  words: number;
  /** An explicit answer instead of echo + filler. */
  text?: string | ((req: CompletionRequest) => string);
}

const DEFAULT_SETTINGS: AnswerSettings = { ttftMs: 0, tokensPerSecond: Number.POSITIVE_INFINITY, words: 12 };

const FILLER = (
  'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa ' +
  'quebec romeo sierra tango uniform victor whiskey xray yankee zulu'
).split(' ');

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Text of a message's content, whether a string or an array of parts. */
export const contentText = (content: unknown): string => {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content.map((p) => (isObject(p) && typeof p.text === 'string' ? p.text : '')).join('');
  return '';
};

/** The echo an answer starts with: `[messages=5 last="<last user message, whitespace collapsed, ≤80 chars>"]`. */
export const contextEcho = (messages: ChatMessageLike[]): string => {
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  const last = contentText(lastUser?.content).replace(/\s+/g, ' ').trim().slice(0, 80).trimEnd();
  return `[messages=${messages.length} last="${last}"]`;
};

/** Splits text into token-like pieces (leading whitespace kept) that concatenate back to it. */
export const tokenize = (text: string): string[] => text.match(/\s*\S+|\s+$/g) ?? [];

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const errorBody = (message: string, type: string, code: string | null, param: string | null = null) => ({
  error: { message, type, param, code },
});

export class OpenAIStandin {
  private readonly server: http.Server;
  private port = 0;
  private settings: AnswerSettings = { ...DEFAULT_SETTINGS };
  private faults: { fault: OpenAIFault; left: number }[] = [];
  private recorded: CompletionRequest[] = [];
  private waiters = new Set<() => void>();

  constructor(settings: Partial<AnswerSettings> = {}) {
    this.configure(settings);
    this.server = http.createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(err));
      });
    });
  }

  async listen(): Promise<this> {
    this.port = await listenOnLoopback(this.server);
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** What to pass as `OPENAI_BASE_URL` / `baseURL`. */
  get baseUrl(): string {
    return `${this.url}/v1`;
  }

  /** Closes the server and every open connection, hung and stalled ones included. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Changes how the next answers are produced (merged over the current settings). */
  configure(settings: Partial<AnswerSettings>): void {
    this.settings = { ...this.settings, ...settings };
  }

  /** Queues a fault for the next `times` requests; faults apply in the order queued. */
  failNext(fault: OpenAIFault, times = 1): void {
    this.faults.push({ fault, left: times });
  }

  reset(): void {
    this.settings = { ...DEFAULT_SETTINGS };
    this.faults = [];
    this.recorded = [];
  }

  requests(): CompletionRequest[] {
    return [...this.recorded];
  }

  lastRequest(): CompletionRequest | undefined {
    return this.recorded.at(-1);
  }

  /** Resolves once `count` requests have arrived (not necessarily been answered). */
  waitForRequests(count: number, timeoutMs = 5000): Promise<CompletionRequest[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.recorded.length < count) return;
        cleanup();
        resolve(this.requests());
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(`OpenAI stand-in: ${this.recorded.length} of ${count} requests after ${timeoutMs} ms`),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** The answer a request gets: the explicit text, or the context echo and filler words. */
  answerFor(req: CompletionRequest): string {
    const { text, words } = this.settings;
    if (typeof text === 'function') return text(req);
    if (text !== undefined) return text;
    const filler = Array.from({ length: words }, (_, i) => FILLER[i % FILLER.length]);
    return [contextEcho(req.messages), ...filler].join(' ');
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  private takeFault(): OpenAIFault | undefined {
    const head = this.faults[0];
    if (!head) return undefined;
    head.left -= 1;
    if (head.left <= 0) this.faults.shift();
    return head.fault;
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const requestId = `req_${randomBytes(12).toString('hex')}`;
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res
        .writeHead(status, { 'content-type': 'application/json', 'x-request-id': requestId, ...headers })
        .end(JSON.stringify(body));
    };

    if (req.method === 'GET' && url.pathname === '/v1/models') {
      return json(200, {
        object: 'list',
        data: [{ id: 'gpt-4o-mini', object: 'model', created: 0, owned_by: 'standin' }],
      });
    }
    if (req.method !== 'POST' || url.pathname !== '/v1/chat/completions') {
      return json(
        404,
        errorBody(`Invalid URL (${req.method} ${url.pathname})`, 'invalid_request_error', null),
      );
    }

    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (!isObject(parsed)) throw new Error('not an object');
      body = parsed;
    } catch {
      return json(
        400,
        errorBody('We could not parse the JSON body of your request.', 'invalid_request_error', null),
      );
    }
    const authorization = req.headers.authorization;
    if (!authorization) {
      return json(401, errorBody("You didn't provide an API key.", 'invalid_request_error', null));
    }
    const messages = Array.isArray(body.messages) ? (body.messages as ChatMessageLike[]) : undefined;
    if (!messages || messages.length === 0) {
      return json(
        400,
        errorBody("'messages' must be a non-empty array.", 'invalid_request_error', null, 'messages'),
      );
    }

    const maxTokens = body.max_tokens ?? body.max_completion_tokens;
    const record: CompletionRequest = {
      at: Date.now(),
      body,
      model: typeof body.model === 'string' ? body.model : 'gpt-4o-mini',
      messages,
      max_tokens: typeof maxTokens === 'number' ? maxTokens : undefined,
      stream: body.stream === true,
      authorization,
    };
    this.recorded.push(record);
    this.notify();

    const fault = this.takeFault();
    if (fault) record.outcome = fault.kind;
    switch (fault?.kind) {
      case '429': {
        const headers: Record<string, string> = { 'retry-after': String(fault.retryAfter ?? 1) };
        if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
        return json(
          429,
          errorBody(
            `Rate limit reached for ${record.model} in organization org-standin on requests per min (RPM). Please try again in ${fault.retryAfter ?? 1}s.`,
            'requests',
            'rate_limit_exceeded',
          ),
          headers,
        );
      }
      case 'insufficient_quota':
        return json(
          429,
          errorBody(
            'You exceeded your current quota, please check your plan and billing details.',
            'insufficient_quota',
            'insufficient_quota',
          ),
        );
      case '5xx': {
        const status = fault.status ?? 500;
        const message =
          status === 503
            ? 'The engine is currently overloaded, please try again later.'
            : 'The server had an error while processing your request. Sorry about that!';
        return json(status, errorBody(message, 'server_error', null));
      }
      case 'error':
        return json(fault.status, { error: { param: null, ...fault.error } }, fault.headers);
      case 'hang':
        return; // the connection stays open until the client gives up or the stand-in closes
    }

    const answer = this.answerFor(record);
    record.answer = answer;
    let tokens = tokenize(answer);
    let finishReason: 'stop' | 'length' = 'stop';
    if (record.max_tokens !== undefined && tokens.length > record.max_tokens) {
      tokens = tokens.slice(0, record.max_tokens);
      finishReason = 'length';
    }
    const promptTokens = messages.reduce((n, m) => n + 4 + Math.ceil(contentText(m.content).length / 4), 3);
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: tokens.length,
      total_tokens: promptTokens + tokens.length,
    };
    const id = `chatcmpl-${randomBytes(12).toString('hex')}`;
    const created = Math.floor(Date.now() / 1000);
    const { ttftMs, tokensPerSecond } = this.settings;
    const gapMs = Number.isFinite(tokensPerSecond) && tokensPerSecond > 0 ? 1000 / tokensPerSecond : 0;

    let clientClosed = false;
    res.on('close', () => {
      if (!res.writableFinished) {
        clientClosed = true;
        if (!record.outcome) record.outcome = 'client_closed';
      }
    });

    if (!record.stream) {
      if (fault?.kind === 'stall') return; // nothing was sent yet: same as a hang
      await sleep(ttftMs + gapMs * tokens.length);
      if (fault?.kind === 'cut') {
        res.socket?.destroy();
        return;
      }
      if (clientClosed) return;
      record.outcome ??= 'ok';
      return json(200, {
        id,
        object: 'chat.completion',
        created,
        model: record.model,
        system_fingerprint: 'fp_standin',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: tokens.join(''), refusal: null },
            logprobs: null,
            finish_reason: finishReason,
          },
        ],
        usage,
      });
    }

    const includeUsage = isObject(body.stream_options) && body.stream_options.include_usage === true;
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model: record.model,
      system_fingerprint: 'fp_standin',
      choices,
      // With include_usage, OpenAI sends `usage: null` on every chunk but the last.
      ...(includeUsage ? { usage: null } : {}),
      ...extra,
    });
    const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    const delta = (d: Record<string, unknown>, finish: string | null = null) =>
      chunk([{ index: 0, delta: d, logprobs: null, finish_reason: finish }]);

    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-request-id': requestId,
    });
    res.flushHeaders();
    const start = Date.now();
    await sleep(ttftMs);
    if (clientClosed) return;
    send(delta({ role: 'assistant', content: '', refusal: null }));
    const stopAt = fault?.kind === 'stall' || fault?.kind === 'cut' ? (fault.afterChunks ?? 3) : undefined;
    for (const [i, token] of tokens.entries()) {
      if (i === stopAt) break;
      if (gapMs > 0) await sleep(start + ttftMs + i * gapMs - Date.now());
      if (clientClosed) return;
      send(delta({ content: token }));
    }
    if (stopAt !== undefined && stopAt <= tokens.length) {
      // Let the chunks already written reach the client before the socket goes.
      if (fault?.kind === 'cut') setTimeout(() => res.socket?.destroy(), 20);
      return; // a stall keeps the connection open and silent
    }
    send(delta({}, finishReason));
    if (includeUsage) send(chunk([], { usage }));
    res.end('data: [DONE]\n\n');
    record.outcome ??= 'ok';
  }
}

/** Starts an OpenAI-compatible stand-in on a free loopback port. */
export const startOpenAI = (settings: Partial<AnswerSettings> = {}): Promise<OpenAIStandin> =>
  new OpenAIStandin(settings).listen();
