import { randomBytes } from 'node:crypto';
import { isObject } from '../http.js';
import { asString } from './params.js';
import type { ResponseUrlPost } from './types.js';
import type { Workspace } from './workspace.js';

/** Slack's `response_url`: up to 5 uses within 30 minutes. */
const RESPONSE_URL_USES = 5;
const RESPONSE_URL_TTL_MS = 30 * 60_000;

/** The `response_url`s minted for commands and interactions, and what was posted to them. */
export class ResponseUrls {
  private readonly urls = new Map<string, { channel?: string; user?: string; at: number; uses: number }>();
  posts: ResponseUrlPost[] = [];

  constructor(private readonly ws: Workspace) {}

  clear(): void {
    this.urls.clear();
    this.posts = [];
  }

  mint(baseUrl: string, context: { channel?: string; user?: string }): { id: string; url: string } {
    const id = `${this.ws.teamId}/${Date.now()}/${randomBytes(12).toString('hex')}`;
    this.urls.set(id, { ...context, at: Date.now(), uses: 0 });
    return { id, url: `${baseUrl}/response/${id}` };
  }

  /** Takes a POST to a response URL: its status and JSON answer (recorded either way). */
  receive(id: string, raw: string): { status: number; body: Record<string, unknown> } {
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = raw ? JSON.parse(raw) : {};
      body = isObject(parsed) ? parsed : { value: parsed };
    } catch {
      body = { raw };
    }
    const answer = this.answer(id, body);
    this.posts.push({ id, body, at: Date.now(), status: answer.status });
    return answer;
  }

  private answer(
    id: string,
    body: Record<string, unknown>,
  ): { status: number; body: Record<string, unknown> } {
    const meta = this.urls.get(id);
    if (!meta) return { status: 404, body: { ok: false, error: 'invalid_url' } };
    if (Date.now() - meta.at > RESPONSE_URL_TTL_MS)
      return { status: 404, body: { ok: false, error: 'expired_url' } };
    if (meta.uses >= RESPONSE_URL_USES) return { status: 404, body: { ok: false, error: 'used_url' } };
    meta.uses += 1;
    // An in_channel response appears in the channel as the app's message.
    if (
      body.response_type === 'in_channel' &&
      meta.channel &&
      !body.replace_original &&
      !body.delete_original
    ) {
      this.ws.postedByBot(meta.channel, asString(body.thread_ts), {
        text: asString(body.text) ?? '',
        ...(Array.isArray(body.blocks) ? { blocks: body.blocks } : {}),
      });
    }
    return { status: 200, body: { ok: true } };
  }
}
