import type http from 'node:http';
import { closeServer, createServer, listenOnLoopback, readBody, sleep } from '../http.js';
import { type FaultQueue, faultAnswer, isFailing } from './faults.js';
import { METHODS } from './methods/index.js';
import { asString, fail, parseParams, SlackFailure } from './params.js';
import type { RateLimits } from './rate-limits.js';
import type { ResponseUrls } from './response-urls.js';
import type { Teams } from './teams.js';
import type { Params, RecordedCall } from './types.js';
import type { Workspace } from './workspace.js';

type CallBase = Omit<RecordedCall, 'status' | 'response'>;

/**
 * The HTTP side: `POST /api/<method>` as @slack/web-api sends it (form or JSON body, `Authorization:
 * Bearer xoxb-…`), and `POST /response/<id>` for response URLs. Each call goes through, in order:
 * the test's faults, Slack's token check, rate limits, then the method's handler; every call is
 * recorded with what it was answered.
 */
export class SlackApiServer {
  readonly calls: RecordedCall[] = [];
  private readonly server = createServer((req, res) => this.route(req, res));
  private readonly hanging = new Set<http.ServerResponse>();
  private port = 0;

  constructor(
    private readonly deps: {
      ws: Workspace;
      faults: FaultQueue;
      rateLimits: RateLimits;
      responseUrls: ResponseUrls;
      /** Workspaces beyond the default one, each reached by its own tokens. */
      teams: Teams;
      /** Called after every recorded call or response-URL post. */
      changed: () => void;
    },
  ) {}

  async listen(): Promise<void> {
    this.port = await listenOnLoopback(this.server);
    this.deps.ws.files.baseUrl = this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    await closeServer(this.server);
  }

  clear(): void {
    this.calls.length = 0;
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    if (url.pathname.startsWith('/response/')) {
      const answer = this.deps.responseUrls.receive(
        url.pathname.slice('/response/'.length),
        await readBody(req),
      );
      res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(answer.body));
      this.deps.changed();
      return;
    }
    if (url.pathname.startsWith('/upload/')) {
      const status = await this.deps.ws.files.receive(url.pathname.slice('/upload/'.length), req);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'OK' : 'not found');
      this.deps.changed();
      return;
    }
    const shared = /^\/files-pri\/([A-Z0-9]+)\/download\//.exec(url.pathname);
    if (shared) {
      await this.serveFile(shared[1]!, req, res);
      this.deps.changed();
      return;
    }
    const m = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
    if (!m) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const method = m[1]!;
    const at = Date.now();
    const contentType = String(req.headers['content-type'] ?? '');
    const raw = await readBody(req);
    let params: Params;
    try {
      params = parseParams(raw, contentType, url.searchParams);
    } catch {
      const base = { method, params: { raw }, at, token: undefined, teamId: undefined, contentType };
      return this.reply(res, base, 200, { ok: false, error: 'invalid_json' });
    }
    const bearer = /^Bearer\s+(.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    const token = bearer ?? asString(params.token);
    delete params.token;
    const { teams, ws: defaultWs } = this.deps;
    const teamWs = token ? teams.byId.get(teams.teamOf(token) ?? '') : undefined;
    const ws = teamWs ?? defaultWs;
    const base: CallBase = { method, params, at, token, teamId: ws.teamId, contentType };

    // oauth.v2.access authenticates with the app's client id and secret, not a token.
    if (method === 'oauth.v2.access') {
      const answer = this.answer(() => teams.exchange(params));
      const teamId = asString((answer.team as { id?: unknown } | undefined)?.id);
      return this.reply(res, { ...base, token: undefined, teamId }, 200, answer);
    }

    const fault = this.deps.faults.take(method, params);
    if (fault?.delayMs) await sleep(fault.delayMs);
    if (fault?.hang || fault?.drop) {
      if (fault.hang) this.hanging.add(res);
      else req.socket.destroy();
      this.record({ ...base, status: 0, response: null });
      return;
    }

    if (!token) return this.reply(res, base, 200, { ok: false, error: 'not_authed' });
    if (teams.isRevoked(token)) return this.reply(res, base, 200, { ok: false, error: 'token_revoked' });
    const expected = defaultWs.opts.token;
    if ((!teamWs && expected && token !== expected) || !/^(xoxe\.)?xox[bp]-/.test(token))
      return this.reply(res, base, 200, { ok: false, error: 'invalid_auth' });

    if (isFailing(fault) && !fault.afterEffect) return this.replyFault(res, base, fault);

    const retryAfter = this.deps.rateLimits.check(method, params);
    if (retryAfter !== undefined)
      return this.reply(
        res,
        base,
        429,
        { ok: false, error: 'ratelimited' },
        { 'retry-after': String(retryAfter) },
      );

    const body = this.handle(method, params, token, ws);
    if (isFailing(fault)) return this.replyFault(res, base, fault);
    this.reply(res, base, 200, body);
  }

  /** A shared file's download: only the bot token of the file's own workspace may read it. */
  private async serveFile(id: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const token = /^Bearer\s+(.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    const { teams, ws: defaultWs } = this.deps;
    const owner = [defaultWs, ...teams.byId.values()].find((w) => w.shared.files.has(id)) ?? defaultWs;
    const allowed = (t: string | undefined) => {
      if (!t || !/^xoxb-/.test(t) || teams.isRevoked(t)) return false;
      const team = teams.teamOf(t);
      if (owner !== defaultWs) return team === owner.teamId;
      const expected = defaultWs.opts.token;
      return team === undefined && (!expected || t === expected);
    };
    await owner.shared.serve(id, token, allowed, res);
  }

  private handle(method: string, params: Params, token: string, ws: Workspace): Record<string, unknown> {
    const handler = METHODS[method];
    if (!handler) return { ok: false, error: 'unknown_method' };
    return this.answer(() => {
      // Another workspace's channel is not there for this token, as in Slack.
      const channel = asString(params.channel) ?? asString(params.channel_id);
      if (channel && !ws.knows(channel) && this.otherTeamKnows(ws, channel)) throw fail('channel_not_found');
      return handler(params, { token, ws });
    });
  }

  private otherTeamKnows(ws: Workspace, channel: string): boolean {
    return [this.deps.ws, ...this.deps.teams.byId.values()].some((o) => o !== ws && o.knows(channel));
  }

  private answer(run: () => Record<string, unknown>): Record<string, unknown> {
    try {
      return { ok: true, ...run() };
    } catch (err) {
      if (!(err instanceof SlackFailure)) throw err;
      return { ok: false, error: err.error, ...err.extra };
    }
  }

  private replyFault(res: http.ServerResponse, base: CallBase, f: Parameters<typeof faultAnswer>[0]): void {
    const { status, body, headers } = faultAnswer(f);
    this.reply(res, base, status, body, headers);
  }

  private reply(
    res: http.ServerResponse,
    base: CallBase,
    status: number,
    body: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
    this.record({ ...base, status, response: body });
  }

  private record(call: RecordedCall): void {
    this.calls.push({ ...call, ms: Date.now() - call.at });
    this.deps.changed();
  }
}
