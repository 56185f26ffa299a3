import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import {
  closeServer,
  createServer,
  isObject,
  listenOnLoopback,
  readBody,
  type SyncProbe,
  Waiters,
} from '../http.js';
import { answerFor, DEFAULT_SETTINGS } from './answers.js';
import { sendCompletion } from './completion.js';
import { errorBody, faultAnswer } from './faults.js';
import type { AnswerSettings, ChatMessageLike, CompletionRequest, OpenAIFault } from './types.js';

export { contentText, contextEcho, imageParts, tokenize } from './answers.js';
export type * from './types.js';

/**
 * A stand-in for OpenAI's Chat Completions endpoint (`POST /v1/chat/completions`), streaming and
 * not. The bot reaches it through `OPENAI_BASE_URL` (`baseUrl` below). Timing (time to first token,
 * tokens per second) is settable, and faults queue up in order, so "429, then success" is two lines.
 */
export class OpenAIStandin {
  private readonly server = createServer((req, res) => this.route(req, res));
  private port = 0;
  private settings: AnswerSettings = { ...DEFAULT_SETTINGS };
  private faults: { fault: OpenAIFault; left: number }[] = [];
  private recorded: CompletionRequest[] = [];
  private readonly waiters = new Waiters();

  constructor(settings: Partial<AnswerSettings> = {}) {
    this.configure(settings);
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
  close(): Promise<void> {
    return closeServer(this.server);
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
    return this.waiters.waitFor(
      () => (this.recorded.length >= count ? this.requests() : undefined),
      timeoutMs,
      () => `OpenAI stand-in: ${this.recorded.length} of ${count} requests after ${timeoutMs} ms`,
    );
  }

  /**
   * Resolves with the probe's first truthy value, re-checked whenever a request arrives or its
   * response ends (its `outcome` set); rejects after `timeoutMs` naming what was awaited.
   */
  waitFor<T>(probe: SyncProbe<T>, timeoutMs = 5000, what = 'condition'): Promise<T> {
    return this.waiters.waitFor(
      probe,
      timeoutMs,
      () => `OpenAI stand-in: timed out after ${timeoutMs} ms waiting for ${what}`,
    );
  }

  /** The answer a request gets: the explicit text, or the context echo and filler words. */
  answerFor(req: CompletionRequest): string {
    return answerFor(this.settings, req);
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

    const raw = await readBody(req);
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(raw);
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
    this.waiters.notify();
    // Once the response ends or the client goes, after every close listener has set the outcome.
    res.once('close', () => queueMicrotask(() => this.waiters.notify()));

    const fault = this.takeFault();
    if (fault) record.outcome = fault.kind;
    const error = fault && faultAnswer(fault, record.model);
    if (error) return json(error.status, error.body, error.headers);
    if (fault?.kind === 'hang') return; // the connection stays open until the client gives up or the stand-in closes
    await sendCompletion({
      req: record,
      res,
      settings: this.settings,
      fault: fault?.kind === 'stall' || fault?.kind === 'cut' ? fault : undefined,
      json,
      requestId,
    });
  }
}

/** Starts an OpenAI-compatible stand-in on a free loopback port. */
export const startOpenAI = (settings: Partial<AnswerSettings> = {}): Promise<OpenAIStandin> =>
  new OpenAIStandin(settings).listen();
