import {
  type Logger,
  LogLevel,
  WebAPIHTTPError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
  WebClient,
} from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type SlackApiStandin, startSlackApi } from '../../standins/slack/index.js';

let slack: SlackApiStandin;
let client: WebClient;

/** The WebClient logs every error's response_metadata; the tests assert on them instead. */
const quiet: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => LogLevel.ERROR,
  setName: () => {},
};

beforeAll(async () => {
  slack = await startSlackApi();
  // No retries and rate-limited calls rejected: each test sees exactly what the stand-in answered.
  client = new WebClient('xoxb-test', {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logger: quiet,
  });
});
afterAll(() => slack.close());
beforeEach(() => slack.reset());

/** The Slack error code a failed WebClient call carries. */
const slackError = async (call: Promise<unknown>): Promise<string | undefined> => {
  try {
    await call;
  } catch (err) {
    return (err as { data?: { error?: string } }).data?.error;
  }
  throw new Error('expected the call to fail');
};

/** Raw POST, to see status codes and headers the WebClient hides. */
const post = (method: string, body: Record<string, unknown>, token = 'xoxb-test') =>
  fetch(`${slack.apiUrl}${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

describe('identity and auth', () => {
  it('answers auth.test with the bot identity', async () => {
    const res = await client.auth.test();
    expect(res).toMatchObject({
      ok: true,
      user_id: 'U0BOT',
      bot_id: 'B0BOT',
      team_id: 'T0TEAM',
      user: 'backchannel',
    });
  });

  it('refuses calls without a token or with a malformed one', async () => {
    const none = await fetch(`${slack.apiUrl}auth.test`, { method: 'POST' });
    expect(await none.json()).toEqual({ ok: false, error: 'not_authed' });
    expect(await (await post('auth.test', {}, 'nonsense')).json()).toEqual({
      ok: false,
      error: 'invalid_auth',
    });
  });

  it('accepts JSON bodies as well as forms', async () => {
    const res = await post('chat.postMessage', { channel: 'C1', text: 'json', blocks: [section('hi')] });
    expect(await res.json()).toMatchObject({ ok: true, channel: 'C1', message: { text: 'json' } });
    expect(slack.calls('chat.postMessage')[0]?.params.blocks).toEqual([section('hi')]);
  });

  it('names users: seeded profiles, or a name derived from the id', async () => {
    slack.setUser('U1', { display_name: 'Ada', real_name: 'Ada Lovelace' });
    slack.setUser('U404', null);
    const ada = await client.users.info({ user: 'U1' });
    expect(ada.user?.profile).toMatchObject({ display_name: 'Ada', real_name: 'Ada Lovelace' });
    const other = await client.users.info({ user: 'U2ABC' });
    expect(other.user?.profile?.display_name).toBe('user-u2abc');
    expect(await slackError(client.users.info({ user: 'U404' }))).toBe('user_not_found');
  });

  it('says who is a workspace admin or owner', async () => {
    slack.setUser('UADM', { is_admin: true });
    slack.setUser('UOWN', { is_owner: true });
    expect((await client.users.info({ user: 'UADM' })).user).toMatchObject({
      is_admin: true,
      is_owner: false,
    });
    expect((await client.users.info({ user: 'UOWN' })).user).toMatchObject({
      is_admin: false,
      is_owner: true,
    });
    expect((await client.users.info({ user: 'U2ABC' })).user).toMatchObject({
      is_admin: false,
      is_owner: false,
    });
  });
});

describe('the message store', () => {
  it('returns a thread root first, with its replies, paging by cursor', async () => {
    const root = slack.addMessage({ channel: 'C1', user: 'U1', text: 'question' });
    const first = await client.chat.postMessage({ channel: 'C1', thread_ts: root.ts, text: 'answer 1' });
    slack.addMessage({ channel: 'C1', user: 'U2', text: 'follow-up', thread_ts: root.ts });
    await client.chat.postMessage({ channel: 'C1', thread_ts: first.ts!, text: 'answer 2' }); // a reply's ts: same thread

    const page1 = await client.conversations.replies({ channel: 'C1', ts: root.ts, limit: 2 });
    expect(page1.messages?.map((m) => m.text)).toEqual(['question', 'answer 1']);
    expect(page1.has_more).toBe(true);
    expect(page1.messages?.[0]).toMatchObject({
      thread_ts: root.ts,
      reply_count: 3,
      reply_users: ['U0BOT', 'U2'],
    });
    const cursor = page1.response_metadata?.next_cursor;
    const page2 = await client.conversations.replies({
      channel: 'C1',
      ts: root.ts,
      limit: 2,
      cursor: cursor!,
    });
    expect(page2.messages?.map((m) => m.text)).toEqual(['follow-up', 'answer 2']);
    expect(page2.has_more).toBe(false);
    expect(page2.messages?.[1]).toMatchObject({ user: 'U0BOT', bot_id: 'B0BOT', thread_ts: root.ts });

    expect(slack.messages('C1', root.ts).map((m) => m.text)).toEqual([
      'question',
      'answer 1',
      'follow-up',
      'answer 2',
    ]);
  });

  it('answers thread_not_found for a ts it does not know', async () => {
    expect(await slackError(client.conversations.replies({ channel: 'C1', ts: '1.000001' }))).toBe(
      'thread_not_found',
    );
  });

  it('caps replies per page when asked to (the 15-message rule for non-Marketplace apps)', async () => {
    const capped = await startSlackApi({ maxRepliesPerPage: 15 });
    try {
      const root = capped.addMessage({ channel: 'C1', user: 'U1', text: 'root' });
      for (let i = 0; i < 20; i++)
        capped.addMessage({ channel: 'C1', user: 'U1', text: `r${i}`, thread_ts: root.ts });
      const c = new WebClient('xoxb-test', { slackApiUrl: capped.apiUrl, logLevel: LogLevel.ERROR });
      const res = await c.conversations.replies({ channel: 'C1', ts: root.ts, limit: 100 });
      expect(res.messages).toHaveLength(15);
      expect(res.has_more).toBe(true);
    } finally {
      await capped.close();
    }
  });

  it('shows metadata only with include_all_metadata', async () => {
    const root = slack.addMessage({ channel: 'C1', user: 'U1', text: 'q' });
    await client.chat.postMessage({
      channel: 'C1',
      thread_ts: root.ts,
      text: 'a',
      metadata: { event_type: 'backchannel_answer', event_payload: { request: 'r1' } },
    });
    const plain = await client.conversations.replies({ channel: 'C1', ts: root.ts });
    expect(plain.messages?.[1]?.metadata).toBeUndefined();
    const full = await client.conversations.replies({
      channel: 'C1',
      ts: root.ts,
      include_all_metadata: true,
    });
    expect(full.messages?.[1]?.metadata).toEqual({
      event_type: 'backchannel_answer',
      event_payload: { request: 'r1' },
    });
  });

  it('updates and deletes the bot’s own messages only', async () => {
    const posted = await client.chat.postMessage({
      channel: 'C1',
      text: 'thinking…',
      blocks: [section('x')],
    });
    const updated = await client.chat.update({ channel: 'C1', ts: posted.ts!, text: 'done' });
    expect(updated.message?.text).toBe('done');
    // Slack keeps the previous blocks when an update omits them.
    expect(slack.message('C1', posted.ts!)).toMatchObject({
      text: 'done',
      blocks: [section('x')],
      edited: { user: 'U0BOT' },
    });

    const theirs = slack.addMessage({ channel: 'C1', user: 'U1', text: 'mine' });
    expect(await slackError(client.chat.update({ channel: 'C1', ts: theirs.ts, text: 'x' }))).toBe(
      'cant_update_message',
    );
    expect(await slackError(client.chat.update({ channel: 'C1', ts: '1.000001', text: 'x' }))).toBe(
      'message_not_found',
    );

    await client.chat.delete({ channel: 'C1', ts: posted.ts! });
    expect(slack.message('C1', posted.ts!)).toBeUndefined();
  });

  it('records ephemerals apart from the channel', async () => {
    const res = await client.chat.postEphemeral({ channel: 'C1', user: 'U1', text: 'only you' });
    expect(res.message_ts).toBeDefined();
    expect(slack.ephemerals('C1')).toEqual([expect.objectContaining({ user: 'U1', text: 'only you' })]);
    expect(slack.messages('C1')).toEqual([]);
  });

  it('builds permalinks, with thread_ts for replies', async () => {
    const root = slack.addMessage({ channel: 'C1', user: 'U1', text: 'q', ts: '1700000000.000100' });
    const reply = slack.addMessage({
      channel: 'C1',
      user: 'U1',
      text: 'r',
      thread_ts: root.ts,
      ts: '1700000000.000200',
    });
    const link = await client.chat.getPermalink({ channel: 'C1', message_ts: reply.ts });
    expect(link.permalink).toBe(
      'https://backchannel-test.slack.com/archives/C1/p1700000000000200?thread_ts=1700000000.000100&cid=C1',
    );
  });
});

describe('reactions', () => {
  it('adds, refuses duplicates, removes, and reports', async () => {
    const m = slack.addMessage({ channel: 'C1', user: 'U1', text: 'q' });
    await client.reactions.add({ channel: 'C1', timestamp: m.ts, name: 'eyes' });
    expect(await slackError(client.reactions.add({ channel: 'C1', timestamp: m.ts, name: 'eyes' }))).toBe(
      'already_reacted',
    );
    slack.addReaction('C1', m.ts, 'eyes', 'U2');
    const got = await client.reactions.get({ channel: 'C1', timestamp: m.ts });
    expect(got.message?.reactions).toEqual([{ name: 'eyes', users: ['U0BOT', 'U2'], count: 2 }]);

    await client.reactions.remove({ channel: 'C1', timestamp: m.ts, name: 'eyes' });
    expect(await slackError(client.reactions.remove({ channel: 'C1', timestamp: m.ts, name: 'eyes' }))).toBe(
      'no_reaction',
    );
    expect(slack.reactions('C1', m.ts)).toEqual(['eyes']); // U2's is still there
  });
});

describe('channels', () => {
  it('answers not_in_channel until the bot joins', async () => {
    slack.setChannel('C2', { member: false });
    expect(await slackError(client.chat.postMessage({ channel: 'C2', text: 'hi' }))).toBe('not_in_channel');
    const joined = await client.conversations.join({ channel: 'C2' });
    expect(joined.channel?.is_member).toBe(true);
    await client.chat.postMessage({ channel: 'C2', text: 'hi' });
    expect(slack.messages('C2')).toHaveLength(1);
  });

  it('answers channel_not_found for unknown channels', async () => {
    slack.setChannel('C404', { unknown: true });
    expect(await slackError(client.chat.postMessage({ channel: 'C404', text: 'hi' }))).toBe(
      'channel_not_found',
    );
    expect(await slackError(client.conversations.info({ channel: 'C404' }))).toBe('channel_not_found');
    const dm = await client.conversations.info({ channel: 'D123' });
    expect(dm.channel).toMatchObject({ is_im: true, is_member: true });
  });
});

describe('size limits', () => {
  it('refuses text over 40,000 characters', async () => {
    expect(await slackError(client.chat.postMessage({ channel: 'C1', text: 'x'.repeat(40_001) }))).toBe(
      'msg_too_long',
    );
    await client.chat.postMessage({ channel: 'C1', text: 'x'.repeat(40_000) });
  });

  it('refuses messages without content', async () => {
    expect(await slackError(client.chat.postMessage({ channel: 'C1', text: '' }))).toBe('no_text');
  });

  it('refuses more than 50 blocks in a message', async () => {
    const blocks = Array.from({ length: 51 }, () => section('b'));
    const res = await post('chat.postMessage', { channel: 'C1', text: 't', blocks });
    expect(await res.json()).toMatchObject({
      ok: false,
      error: 'invalid_blocks',
      errors: ['no more than 50 items allowed [json-pointer:/blocks]'],
    });
    await client.chat.postMessage({ channel: 'C1', text: 't', blocks: blocks.slice(0, 50) });
  });

  it('refuses a section text over 3,000 characters and markdown blocks over 12,000', async () => {
    expect(
      await slackError(
        client.chat.postMessage({ channel: 'C1', text: 't', blocks: [section('x'.repeat(3001))] }),
      ),
    ).toBe('invalid_blocks');
    const markdown = (n: number) => ({ type: 'markdown', text: 'x'.repeat(n) });
    expect(
      await slackError(client.chat.postMessage({ channel: 'C1', text: 't', blocks: [markdown(12_001)] })),
    ).toBe('invalid_blocks');
    expect(
      await slackError(
        client.chat.postMessage({ channel: 'C1', text: 't', blocks: [markdown(7000), markdown(7000)] }),
      ),
    ).toBe('invalid_blocks');
    await client.chat.postMessage({ channel: 'C1', text: 't', blocks: [markdown(12_000)] });
  });

  it('refuses messages whose blocks carry too much text in total', async () => {
    const blocks = Array.from({ length: 5 }, () => section('x'.repeat(2900)));
    expect(await slackError(client.chat.postMessage({ channel: 'C1', text: 't', blocks }))).toBe(
      'msg_blocks_too_long',
    );
  });

  it('refuses buttons past their limits, empty text, and headers that are not plain_text', async () => {
    const button = (over: Record<string, unknown>) => ({
      type: 'actions',
      elements: [{ type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'Open' }, ...over }],
    });
    const errorsOf = async (blocks: unknown[]) =>
      (
        (await (await post('chat.postMessage', { channel: 'C1', text: 't', blocks })).json()) as {
          errors?: string[];
        }
      ).errors;
    expect(await errorsOf([button({ text: { type: 'plain_text', text: 'x'.repeat(76) } })])).toEqual([
      'must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]',
    ]);
    expect(await errorsOf([button({ value: 'v'.repeat(2001) })])).toEqual([
      'must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]',
    ]);
    expect(await errorsOf([{ type: 'actions', elements: [] }])).toEqual([
      'must provide at least 1 item [json-pointer:/blocks/0/elements]',
    ]);
    expect(await errorsOf([section('')])).toEqual([
      'must be more than 0 characters [json-pointer:/blocks/0/text/text]',
    ]);
    expect(await errorsOf([{ type: 'header', text: { type: 'mrkdwn', text: 'Title' } }])).toEqual([
      'must be plain_text [json-pointer:/blocks/0/text/type]',
    ]);
    await client.chat.postMessage({
      channel: 'C1',
      text: 't',
      blocks: [button({ value: 'v'.repeat(2000) })],
    });
  });

  it('refuses a modal title over 24 characters and private_metadata over 3,000', async () => {
    const modal = (over: Record<string, unknown>) => ({
      type: 'modal' as const,
      title: { type: 'plain_text' as const, text: 'Ask' },
      blocks: [],
      ...over,
    });
    expect(
      await slackError(
        client.views.open({
          trigger_id: slack.mintTriggerId(),
          view: modal({ title: { type: 'plain_text', text: 'x'.repeat(25) } }),
        }),
      ),
    ).toBe('invalid_arguments');
    expect(
      await slackError(
        client.views.open({
          trigger_id: slack.mintTriggerId(),
          view: modal({ private_metadata: 'm'.repeat(3001) }),
        }),
      ),
    ).toBe('invalid_arguments');
    await client.views.open({
      trigger_id: slack.mintTriggerId(),
      view: modal({ private_metadata: 'm'.repeat(3000) }),
    });
  });

  it('publishes Home views of up to 100 blocks and keeps the latest per user', async () => {
    const blocks = (n: number) => Array.from({ length: n }, (_, i) => section(`row ${i}`));
    expect(
      await slackError(client.views.publish({ user_id: 'U1', view: { type: 'home', blocks: blocks(101) } })),
    ).toBe('invalid_blocks');
    await client.views.publish({ user_id: 'U1', view: { type: 'home', blocks: blocks(100) } });
    await client.views.publish({ user_id: 'U1', view: { type: 'home', blocks: blocks(2) } });
    expect(slack.homeView('U1')?.blocks).toHaveLength(2);
  });
});

describe('native streaming', () => {
  it('streams into a stored message and refuses appends once stopped', async () => {
    const root = slack.addMessage({ channel: 'C1', user: 'U1', text: 'q' });
    const start = await client.chat.startStream({
      channel: 'C1',
      thread_ts: root.ts,
      recipient_user_id: 'U1',
      recipient_team_id: 'T0TEAM',
      markdown_text: 'Hel',
    });
    await client.chat.appendStream({ channel: 'C1', ts: start.ts!, markdown_text: 'lo, ' });
    expect(slack.message('C1', start.ts!)).toMatchObject({
      text: 'Hello, ',
      stream: 'streaming',
      thread_ts: root.ts,
    });
    await client.chat.stopStream({
      channel: 'C1',
      ts: start.ts!,
      markdown_text: 'world',
      blocks: [section('👍?')],
    });
    expect(slack.message('C1', start.ts!)).toMatchObject({
      text: 'Hello, world',
      stream: 'stopped',
      blocks: [section('👍?')],
    });

    expect(
      await slackError(client.chat.appendStream({ channel: 'C1', ts: start.ts!, markdown_text: '!' })),
    ).toBe('message_not_in_streaming_state');
  });

  it('stops the bot’s live streams in a thread when its session’s stop button is pressed', async () => {
    const root = slack.addMessage({ channel: 'C1', user: 'U1', text: 'q' });
    const other = slack.addMessage({ channel: 'C1', user: 'U1', text: 'another' });
    const opts = { channel: 'C1', recipient_user_id: 'U1', recipient_team_id: 'T0TEAM', markdown_text: 'a' };
    const live = await client.chat.startStream({ ...opts, thread_ts: root.ts });
    const done = await client.chat.startStream({ ...opts, thread_ts: root.ts });
    await client.chat.stopStream({ channel: 'C1', ts: done.ts! });
    const elsewhere = await client.chat.startStream({ ...opts, thread_ts: other.ts });
    expect(slack.stopSession('C1', root.ts)).toEqual([live.ts]);
    expect(slack.message('C1', live.ts!)).toMatchObject({ text: 'a', stream: 'stopped' });
    // As in Slack, what the app sends to a stopped stream is refused.
    for (const call of [
      client.chat.appendStream({ channel: 'C1', ts: live.ts!, markdown_text: 'b' }),
      client.chat.stopStream({ channel: 'C1', ts: live.ts! }),
    ])
      expect(await slackError(call)).toBe('message_not_in_streaming_state');
    expect(slack.message('C1', elsewhere.ts!)?.stream).toBe('streaming');
    expect(slack.stopSession('C1', root.ts)).toEqual([]);
  });

  it('needs a recipient outside DMs only', async () => {
    expect(await slackError(client.chat.startStream({ channel: 'C1', thread_ts: '1.1' }))).toBe(
      'missing_recipient_user_id',
    );
    expect(
      await slackError(client.chat.startStream({ channel: 'C1', thread_ts: '1.1', recipient_user_id: 'U1' })),
    ).toBe('missing_recipient_team_id');
    const dm = await client.chat.startStream({ channel: 'D1', thread_ts: '1.1', markdown_text: 'hi' });
    expect(dm.ok).toBe(true);
  });

  it('works with the WebClient’s chatStream helper, which sends chunks', async () => {
    const root = slack.addMessage({ channel: 'C1', user: 'U1', text: 'q' });
    const streamer = client.chatStream({
      channel: 'C1',
      thread_ts: root.ts,
      recipient_user_id: 'U1',
      recipient_team_id: 'T0TEAM',
      buffer_size: 10,
    });
    await streamer.append({ markdown_text: 'a fairly long first part' });
    await streamer.append({ markdown_text: ' and more' });
    await streamer.stop();
    expect(slack.message('C1', streamer.ts!)).toMatchObject({
      text: 'a fairly long first part and more',
      stream: 'stopped',
    });
    expect(slack.calls().map((c) => c.method)).toEqual(['chat.startStream', 'chat.stopStream']);
  });

  it('can refuse streaming altogether, or expire a stream', async () => {
    slack.refuseStreaming();
    expect(await slackError(client.chat.startStream({ channel: 'D1', thread_ts: '1.1' }))).toBe(
      'feature_not_enabled',
    );
    slack.refuseStreaming(false);
    const s = await client.chat.startStream({ channel: 'D1', thread_ts: '1.1' });
    slack.expireStream('D1', s.ts!);
    expect(await slackError(client.chat.appendStream({ channel: 'D1', ts: s.ts!, markdown_text: 'x' }))).toBe(
      'message_not_in_streaming_state',
    );
  });

  it('expires streams after their lifetime', async () => {
    const short = await startSlackApi({ streamLifetimeMs: 50 });
    try {
      const c = new WebClient('xoxb-test', {
        slackApiUrl: short.apiUrl,
        retryConfig: { retries: 0 },
        logLevel: LogLevel.ERROR,
      });
      const s = await c.chat.startStream({ channel: 'D1', thread_ts: '1.1' });
      await new Promise((r) => setTimeout(r, 80));
      expect(await slackError(c.chat.stopStream({ channel: 'D1', ts: s.ts! }))).toBe(
        'message_not_in_streaming_state',
      );
    } finally {
      await short.close();
    }
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After once a method’s bucket is empty, and counts them', async () => {
    slack.setRateLimits(true);
    const m = await client.chat.postMessage({ channel: 'C1', text: 'x' });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 6; i++) {
      const res = await post('chat.update', { channel: 'C1', ts: m.ts, text: `v${i}` });
      statuses.push(res.status);
      if (res.status === 429) {
        retryAfter = res.headers.get('retry-after');
        expect(await res.json()).toEqual({ ok: false, error: 'ratelimited' });
      }
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]); // Tier 3: burst of 5
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(slack.rateLimitedCount('chat.update')).toBe(1);
    // A 429 changes nothing.
    expect(slack.message('C1', m.ts!)?.text).toBe('v4');
  });

  it('limits chat.postMessage per channel', async () => {
    slack.setRateLimits(true);
    for (let i = 0; i < 3; i++) await client.chat.postMessage({ channel: 'C1', text: `${i}` });
    const err = await client.chat
      .postMessage({ channel: 'C1', text: 'one too many' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebAPIRateLimitedError);
    expect(err).toMatchObject({ retryAfter: 1 });
    await client.chat.postMessage({ channel: 'C2', text: 'another channel is fine' });
  });

  it('refills faster with a time scale', async () => {
    slack.setRateLimits(true, { timeScale: 60, rules: { 'reactions.add': { perMinute: 50, burst: 1 } } });
    const m = slack.addMessage({ channel: 'C1', user: 'U1', text: 'q' });
    await client.reactions.add({ channel: 'C1', timestamp: m.ts, name: 'a' });
    expect((await post('reactions.add', { channel: 'C1', timestamp: m.ts, name: 'b' })).status).toBe(429);
    await new Promise((r) => setTimeout(r, 40)); // 50/min × 60 = one token every 20 ms
    await client.reactions.add({ channel: 'C1', timestamp: m.ts, name: 'c' });
  });
});

describe('fault injection', () => {
  it('fails the next call with a 500, then succeeds', async () => {
    slack.failNext('chat.postMessage', { status: 500 });
    const err = await client.chat.postMessage({ channel: 'C1', text: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebAPIHTTPError);
    expect(err).toMatchObject({ statusCode: 500 });
    await client.chat.postMessage({ channel: 'C1', text: 'x' });
    expect(slack.calls('chat.postMessage').map((c) => c.status)).toEqual([500, 200]);
    expect(slack.messages('C1')).toHaveLength(1);
  });

  it('injects Slack errors and 429s a given number of times', async () => {
    slack.failNext('reactions.add', { error: 'ratelimited', status: 429, retryAfter: 7, times: 2 });
    const m = slack.addMessage({ channel: 'C1', user: 'U1', text: 'q' });
    for (let i = 0; i < 2; i++) {
      const res = await post('reactions.add', { channel: 'C1', timestamp: m.ts, name: 'eyes' });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('7');
    }
    slack.failNext('reactions.add', { error: 'fatal_error' });
    expect(await slackError(client.reactions.add({ channel: 'C1', timestamp: m.ts, name: 'eyes' }))).toBe(
      'fatal_error',
    );
    await client.reactions.add({ channel: 'C1', timestamp: m.ts, name: 'eyes' });
    expect(slack.rateLimitedCount()).toBe(2);
  });

  it('can apply a call and still fail it (a lost response), or target one channel', async () => {
    slack.failNext('chat.postMessage', { status: 500, afterEffect: true, match: (p) => p.channel === 'C2' });
    await client.chat.postMessage({ channel: 'C1', text: 'unaffected' });
    await expect(client.chat.postMessage({ channel: 'C2', text: 'posted anyway' })).rejects.toThrow();
    expect(slack.messages('C2').map((m) => m.text)).toEqual(['posted anyway']);
  });

  it('can delay, hang, or drop a call', async () => {
    slack.failNext('auth.test', { delayMs: 150 });
    const t0 = Date.now();
    await client.auth.test();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);

    const impatient = new WebClient('xoxb-test', {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 0 },
      timeout: 200,
      logLevel: LogLevel.ERROR,
    });
    slack.failNext('auth.test', { hang: true });
    await expect(impatient.auth.test()).rejects.toBeInstanceOf(WebAPIRequestError);
    slack.failNext('auth.test', { drop: true });
    await expect(impatient.auth.test()).rejects.toBeInstanceOf(WebAPIRequestError);
    expect(slack.calls('auth.test').map((c) => c.status)).toEqual([200, 0, 0]);
  });
});

describe('assistant status, views and response URLs', () => {
  it('keeps the assistant status until the bot replies in the thread', async () => {
    const root = slack.addMessage({ channel: 'D1', user: 'U1', text: 'q' });
    await client.assistant.threads.setStatus({
      channel_id: 'D1',
      thread_ts: root.ts,
      status: 'is thinking…',
    });
    expect(slack.assistantStatus('D1', root.ts)?.status).toBe('is thinking…');
    await client.chat.postMessage({ channel: 'D1', thread_ts: root.ts, text: 'answer' });
    expect(slack.assistantStatus('D1', root.ts)).toBeUndefined();
  });

  it('opens a modal once per trigger_id', async () => {
    const trigger = slack.mintTriggerId();
    const view = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'Ask' }, blocks: [] };
    const opened = await client.views.open({ trigger_id: trigger, view });
    expect(slack.modal(opened.view!.id!)).toBeDefined();
    expect(await slackError(client.views.open({ trigger_id: trigger, view }))).toBe('expired_trigger_id');
  });

  it('records response_url posts, up to five uses', async () => {
    const { id, url } = slack.mintResponseUrl({ channel: 'C1', user: 'U1' });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ response_type: 'ephemeral', text: `reply ${i}` }),
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 404]);
    expect(slack.responses(id)[0]?.body).toEqual({ response_type: 'ephemeral', text: 'reply 0' });
  });

  it('posts in_channel responses into the channel', async () => {
    const { url } = slack.mintResponseUrl({ channel: 'C1', user: 'U1' });
    await fetch(url, {
      method: 'POST',
      body: JSON.stringify({ response_type: 'in_channel', text: 'for all' }),
    });
    expect(slack.messages('C1')).toEqual([expect.objectContaining({ text: 'for all', bot_id: 'B0BOT' })]);
  });
});

describe('waiting', () => {
  it('resolves waitForCall when the call has been answered', async () => {
    const waiting = slack.waitForCall('chat.postMessage', (c) => c.params.channel === 'C9');
    await client.chat.postMessage({ channel: 'C1', text: 'not this one' });
    await client.chat.postMessage({ channel: 'C9', text: 'this one' });
    const call = await waiting;
    expect(call.response).toMatchObject({ ok: true, channel: 'C9' });
  });

  it('rejects with what it waited for on timeout', async () => {
    await expect(slack.waitForCall('chat.update', undefined, { timeoutMs: 50 })).rejects.toThrow(
      /call #1 to chat.update/,
    );
  });
});
