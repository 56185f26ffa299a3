import { AppError } from '../core/errors.js';
import { neutralize } from './neutralize.js';

/**
 * Replies through a slash command's or an action's `response_url`. The URL is a capability: never
 * logged, never sent the bot token. Slack allows at most 5 uses within 30 minutes; uses are counted
 * here, in this process only.
 */

export const RESPONSE_URL_MAX_USES = 5;
export const RESPONSE_URL_TTL_MS = 30 * 60_000;
export const DEFAULT_RESPOND_TIMEOUT_MS = 10_000;

export type Respond = (
  responseUrl: string,
  body: Record<string, unknown>,
  opts?: { issuedAt?: number },
) => Promise<void>;

export interface ResponderDeps {
  now: () => number;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** Slack's response URLs are https; plain http is allowed only on loopback (local stand-ins). */
const checkedUrl = (responseUrl: string): URL => {
  const url = URL.parse(responseUrl);
  if (!url) throw new AppError('invalid_payload', 'response_url is not a URL');
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    throw new AppError('invalid_payload', 'response_url must use https');
  return url;
};

export const createResponder = (deps: ResponderDeps): Respond => {
  const { now } = deps;
  const fetchImpl = deps.fetch ?? fetch;
  const timeoutMs = deps.timeoutMs ?? DEFAULT_RESPOND_TIMEOUT_MS;
  const uses = new Map<string, { count: number; since: number }>();

  /** Counts one use of the URL, or refuses when it is used up. */
  const spend = (responseUrl: string, issuedAt: number | undefined): void => {
    const t = now();
    for (const [key, use] of uses) if (t - use.since > RESPONSE_URL_TTL_MS) uses.delete(key);
    const use = uses.get(responseUrl) ?? { count: 0, since: issuedAt ?? t };
    if (use.count >= RESPONSE_URL_MAX_USES || t - use.since > RESPONSE_URL_TTL_MS) {
      throw new AppError('slack_response_url_expired', 'response_url is used up (5 uses within 30 minutes)');
    }
    use.count += 1;
    uses.set(responseUrl, use);
  };

  return async (responseUrl, body, opts = {}) => {
    const url = checkedUrl(responseUrl);
    spend(responseUrl, opts.issuedAt);
    const payload = typeof body.text === 'string' ? { ...body, text: neutralize(body.text) } : body;
    const abort = new AbortController();
    // A plain timer, not AbortSignal.timeout/any: a deadline built from those has been seen never
    // to fire in a long-running Node 20 process.
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    try {
      const res = await fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(payload),
        signal: abort.signal,
      });
      const answer = (await res.text()).slice(0, 200);
      if (res.ok) return;
      if (res.status === 404 || res.status === 410 || /expired_url|used_url/.test(answer)) {
        throw new AppError('slack_response_url_expired', `response_url refused: HTTP ${res.status}`);
      }
      throw new AppError('slack_api', `response_url POST failed: HTTP ${res.status}`, {
        retryable: res.status >= 500 || res.status === 429,
      });
    } catch (err) {
      if (err instanceof AppError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      throw new AppError(
        'slack_api',
        `response_url POST failed: ${abort.signal.aborted ? 'timeout' : message}`,
        { retryable: true },
      );
    } finally {
      clearTimeout(timer);
    }
  };
};
