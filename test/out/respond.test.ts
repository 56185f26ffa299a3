import { describe, expect, it } from 'vitest';
import { createResponder, RESPONSE_URL_TTL_MS } from '../../src/out/respond.js';

const URL_A = 'https://hooks.slack.com/commands/T1/1/abc';

/** A responder whose fetch answers `reply` (or throws it) and records every request. */
const setup = (reply: (n: number) => Response | Error = () => new Response('ok')) => {
  let t = 1_700_000_000_000;
  const sent: { url: string; body: Record<string, unknown>; headers: Record<string, string> }[] = [];
  const fetchImpl = (async (url: URL, init: RequestInit) => {
    sent.push({
      url: String(url),
      body: JSON.parse(String(init.body)),
      headers: init.headers as Record<string, string>,
    });
    const r = reply(sent.length);
    if (r instanceof Error) throw r;
    return r;
  }) as unknown as typeof fetch;
  const respond = createResponder({ now: () => t, fetch: fetchImpl });
  return { respond, sent, advance: (ms: number) => (t += ms) };
};

describe('responding through a response_url', () => {
  it('posts the body as JSON, with broadcasts in its text neutralised, and no token', async () => {
    const { respond, sent } = setup();
    await respond(URL_A, { response_type: 'ephemeral', text: 'Heads up <!channel>' });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.url).toBe(URL_A);
    expect(sent[0]?.body.response_type).toBe('ephemeral');
    expect(sent[0]?.body.text).not.toContain('<!channel>');
    expect(JSON.stringify(sent[0]?.headers).toLowerCase()).not.toContain('authorization');
  });

  it('accepts https, and plain http on loopback only', async () => {
    const { respond, sent } = setup();
    await respond('http://127.0.0.1:3000/response/1', { text: 'x' });
    await expect(respond('http://hooks.slack.com/commands/1', { text: 'x' })).rejects.toMatchObject({
      code: 'invalid_payload',
    });
    await expect(respond('not a url', { text: 'x' })).rejects.toMatchObject({ code: 'invalid_payload' });
    expect(sent).toHaveLength(1);
  });

  it('refuses a sixth use, and any use 30 minutes after the URL was issued, without calling Slack', async () => {
    const { respond, sent, advance } = setup();
    for (let i = 0; i < 5; i++) await respond(URL_A, { text: `${i}` });
    await expect(respond(URL_A, { text: 'sixth' })).rejects.toMatchObject({
      code: 'slack_response_url_expired',
    });
    const issuedAt = 1_700_000_000_000;
    advance(RESPONSE_URL_TTL_MS + 1);
    const other = 'https://hooks.slack.com/commands/T1/2/def';
    await expect(respond(other, { text: 'late' }, { issuedAt })).rejects.toMatchObject({
      code: 'slack_response_url_expired',
    });
    expect(sent).toHaveLength(5);
  });

  it('tells an expired URL from a failure worth another try', async () => {
    const answers: Array<[Response | Error, Record<string, unknown>]> = [
      [new Response('', { status: 404 }), { code: 'slack_response_url_expired' }],
      [new Response('used_url', { status: 400 }), { code: 'slack_response_url_expired' }],
      [new Response('', { status: 500 }), { code: 'slack_api', retryable: true }],
      [new Response('', { status: 429 }), { code: 'slack_api', retryable: true }],
      [new Response('invalid_blocks', { status: 400 }), { code: 'slack_api', retryable: false }],
      [new TypeError('fetch failed'), { code: 'slack_api', retryable: true }],
    ];
    for (const [answer, error] of answers) {
      const { respond } = setup(() => answer);
      await expect(respond(URL_A, { text: 'x' })).rejects.toMatchObject(error);
    }
  });

  it('gives up on a response_url that does not answer in time, as retryable', async () => {
    const hanging = createResponder({
      now: Date.now,
      timeoutMs: 20,
      fetch: ((_url: URL, init: RequestInit) =>
        new Promise((_resolve, reject) =>
          init.signal?.addEventListener('abort', () => reject(new Error('aborted'))),
        )) as unknown as typeof fetch,
    });
    await expect(hanging(URL_A, { text: 'x' })).rejects.toMatchObject({
      code: 'slack_api',
      retryable: true,
      message: expect.stringContaining('timeout'),
    });
  });
});
