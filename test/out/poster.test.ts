import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ThreadTarget } from '../../src/core/domain.js';
import { AppError, userMessageFor } from '../../src/core/errors.js';
import { MESSAGE_MAX_CHARS, neutralizeBroadcasts, WORD_JOINER } from '../../src/out/format.js';
import { flushIntervalMs } from '../../src/out/pacing.js';
import { createSlackPoster, PLACEHOLDER_TEXT, type SlackPosterDeps } from '../../src/out/poster.js';
import { feedbackBlock } from '../../src/out/views/feedback.js';
import { createSlackClient } from '../../src/out/web-client.js';
import { type SlackApiStandin, shownText, startSlackApi } from '../../standins/slack/index.js';
import { defaultBadges } from '../support/badges.js';
import { testClock } from '../support/test-clock.js';

/** Slack round trips go through real sockets to the stand-in; leave room on a loaded machine. */
const waitFor = <T>(check: () => T) => vi.waitFor(check, { timeout: 5000, interval: 5 });

const TOKEN = 'xoxb-test-token-never-shown';
const logger = pino({ level: 'silent' });
const WJ = WORD_JOINER;

const channelTarget: ThreadTarget = {
  teamId: 'T1',
  channelId: 'C1',
  threadTs: '1690000000.000100',
  userId: 'U1',
  isDm: false,
};
const dmTarget: ThreadTarget = { ...channelTarget, channelId: 'D1', isDm: true };

let slack: SlackApiStandin;
beforeAll(async () => {
  slack = await startSlackApi();
});
beforeEach(() => slack.reset());
afterEach(() => {
  vi.useRealTimers();
});
afterAll(() => slack.close());

const client = () => createSlackClient({ token: TOKEN, apiUrl: slack.apiUrl, logger, retries: 0 });

const setup = (opts: Partial<SlackPosterDeps> & { auto?: boolean } = {}) => {
  const clock = testClock({ auto: opts.auto ?? true });
  const poster = createSlackPoster({
    client: client(),
    logger,
    nativeStreaming: true,
    badges: defaultBadges,
    now: clock.now,
    sleep: clock.sleep,
    ...opts,
  });
  return { clock, poster };
};

/** What a stream showed in total: startStream + appendStream… + stopStream text. */
const streamed = (slack: SlackApiStandin): string =>
  slack
    .calls()
    .filter((c) => ['chat.startStream', 'chat.appendStream', 'chat.stopStream'].includes(c.method))
    .map((c) => String(c.params.markdown_text ?? ''))
    .join('');

/** The parameters of every call to `method`, in order. */
const callsTo = (slack: SlackApiStandin, method: string) => slack.calls(method).map((c) => c.params);

const shown = (slack: SlackApiStandin, channel: string) => slack.messages(channel).map(shownText);

describe('startAnswer with native streaming', () => {
  it('streams to the user outside DMs: startStream with recipients, appends, stopStream', async () => {
    const { poster } = setup();
    const answer = poster.startAnswer(channelTarget);
    answer.append('Hello ');
    await waitFor(() => expect(callsTo(slack, 'chat.startStream')).toHaveLength(1));
    answer.append('there, ');
    await waitFor(() => expect(callsTo(slack, 'chat.appendStream')).toHaveLength(1));
    answer.append('**friend**.');
    const { ts } = await answer.finish();

    const [start] = callsTo(slack, 'chat.startStream');
    expect(start).toMatchObject({
      channel: 'C1',
      thread_ts: channelTarget.threadTs,
      recipient_user_id: 'U1',
      recipient_team_id: 'T1',
      markdown_text: 'Hello ',
    });
    expect(callsTo(slack, 'chat.appendStream')[0]).toMatchObject({ channel: 'C1', markdown_text: 'there, ' });
    expect(callsTo(slack, 'chat.stopStream')).toHaveLength(1);
    expect(streamed(slack)).toBe('Hello there, **friend**.');
    expect(ts).toHaveLength(1);
    expect(slack.message('C1', ts[0]!)?.stream).toBe('stopped');
    expect(callsTo(slack, 'chat.postMessage')).toHaveLength(0);
  });

  it('names no recipient in a DM', async () => {
    const { poster } = setup();
    const answer = poster.startAnswer(dmTarget);
    answer.append('Hi');
    await answer.finish();
    const starts = callsTo(slack, 'chat.startStream');
    if (starts.length > 0) {
      expect(starts[0]).not.toHaveProperty('recipient_user_id');
      expect(starts[0]).not.toHaveProperty('recipient_team_id');
    }
    expect(shown(slack, 'D1')).toEqual(['Hi']);
  });

  it('names no recipient in a DM when the stream starts before the answer ends', async () => {
    const { poster } = setup();
    const answer = poster.startAnswer(dmTarget);
    answer.append('Hi ');
    await waitFor(() => expect(callsTo(slack, 'chat.startStream')).toHaveLength(1));
    answer.append('again');
    await answer.finish();
    expect(callsTo(slack, 'chat.startStream')[0]).not.toHaveProperty('recipient_user_id');
    expect(callsTo(slack, 'chat.startStream')[0]).not.toHaveProperty('recipient_team_id');
    expect(streamed(slack)).toBe('Hi again');
  });

  it('falls back to a posted message, edited in place, when startStream is refused', async () => {
    const { poster } = setup();
    slack.refuseStreaming('not_allowed');
    const answer = poster.startAnswer(channelTarget);
    answer.append('First part. ');
    await waitFor(() => expect(callsTo(slack, 'chat.postMessage')).toHaveLength(1));
    answer.append('Second part.');
    const { ts } = await answer.finish();

    expect(callsTo(slack, 'chat.startStream')).toHaveLength(1);
    const [post] = callsTo(slack, 'chat.postMessage');
    expect(post).toMatchObject({ channel: 'C1', thread_ts: channelTarget.threadTs });
    expect(post?.blocks).toEqual([{ type: 'markdown', text: 'First part. ' }]);
    const updates = callsTo(slack, 'chat.update');
    expect(updates.at(-1)?.blocks).toEqual([
      { type: 'markdown', text: 'First part. Second part.' },
      feedbackBlock(),
    ]);
    expect(ts).toHaveLength(1);
    expect(shown(slack, 'C1')).toEqual(['First part. Second part.']);
  });

  it('continues in a new message when the stream expires mid-answer, losing no text', async () => {
    const { poster } = setup();
    const answer = poster.startAnswer(channelTarget);
    answer.append('One. ');
    await waitFor(() => expect(callsTo(slack, 'chat.startStream')).toHaveLength(1));
    slack.expireStream('C1', String(slack.calls('chat.startStream')[0]?.response?.ts));
    answer.append('Two. ');
    await waitFor(() => expect(callsTo(slack, 'chat.postMessage')).toHaveLength(1));
    answer.append('Three.');
    const { ts } = await answer.finish();

    expect(ts).toHaveLength(2);
    expect(shown(slack, 'C1')).toEqual(['One. ', 'Two. Three.']);
    expect(shown(slack, 'C1').join('')).toBe('One. Two. Three.');
  });

  it('posts the rest when stopStream finds the stream expired', async () => {
    const { poster } = setup();
    slack.failNext('chat.stopStream', { error: 'message_not_in_streaming_state', times: Infinity });
    const answer = poster.startAnswer(channelTarget);
    answer.append('Start. ');
    await waitFor(() => expect(callsTo(slack, 'chat.startStream')).toHaveLength(1));
    answer.append('End.');
    // Hold "End." back from the timer so it rides on stopStream.
    const { ts } = await answer.finish();
    expect(shown(slack, 'C1').join('')).toBe('Start. End.');
    expect(ts.length).toBeGreaterThanOrEqual(1);
  });

  it('neutralises broadcast mentions, even one split across deltas', async () => {
    const { poster } = setup();
    const answer = poster.startAnswer(channelTarget);
    answer.append('Attention ');
    await waitFor(() => expect(callsTo(slack, 'chat.startStream')).toHaveLength(1));
    answer.append('<!chan');
    // The half mention is held back: nothing goes out for it.
    await new Promise((r) => setTimeout(r, 30));
    expect(callsTo(slack, 'chat.appendStream')).toHaveLength(0);
    answer.append('nel> and @here, also <!subteam^S1|@ops>');
    await answer.finish();

    const all = streamed(slack);
    expect(all).toBe(`Attention @${WJ}channel and @${WJ}here, also @${WJ}ops`);
    for (const c of slack.calls()) expect(JSON.stringify(c.params)).not.toMatch(/<!|@here\b|@channel\b/);
  });

  it('splits a long answer across messages, each within the limit, losing nothing', async () => {
    const { poster } = setup();
    const paragraph = `${'All work and no play makes Jack a dull boy. '.repeat(20).trim()}\n\n`;
    const text = paragraph.repeat(40);
    const answer = poster.startAnswer(channelTarget);
    for (let i = 0; i < text.length; i += 700) {
      answer.append(text.slice(i, i + 700));
      await new Promise((r) => setImmediate(r));
    }
    const { ts } = await answer.finish();

    const messages = shown(slack, 'C1');
    expect(ts.length).toBeGreaterThanOrEqual(3);
    expect(messages).toHaveLength(ts.length);
    for (const m of messages) expect(m.length).toBeLessThanOrEqual(MESSAGE_MAX_CHARS);
    expect(messages.join('').trimEnd()).toBe(text.trimEnd());
    for (const c of slack.calls()) {
      if (typeof c.params.markdown_text === 'string')
        expect(c.params.markdown_text.length).toBeLessThanOrEqual(12_000);
    }
  });

  it('finish({ error, cutOff }) closes an open code block and adds a visible note', async () => {
    const { poster } = setup();
    const answer = poster.startAnswer(channelTarget);
    answer.append('Here:\n```js\nconst a = 1;');
    await answer.finish({ error: 'The model timed out.', cutOff: true });
    expect(shown(slack, 'C1').join('')).toBe(
      'Here:\n```js\nconst a = 1;\n```\n\n> ⚠️ The answer was cut off. The model timed out.',
    );
  });

  it('fail() with no text posts the error, not an empty answer', async () => {
    const { poster } = setup();
    const answer = poster.startAnswer(channelTarget);
    const { ts } = await answer.fail('The language model is unavailable right now.');
    expect(ts).toHaveLength(1);
    expect(shown(slack, 'C1')).toEqual(['⚠️ The language model is unavailable right now.']);
  });
});

describe('startAnswer when Slack refuses', () => {
  it('finish() rejects with slack_not_in_channel when the bot cannot post', async () => {
    const { poster } = setup({ nativeStreaming: false });
    slack.failNext('chat.postMessage', { error: 'not_in_channel', times: Infinity });
    const answer = poster.startAnswer(channelTarget);
    answer.append('text');
    await expect(answer.finish()).rejects.toMatchObject({ code: 'slack_not_in_channel' });
    expect(poster.activeAnswers()).toEqual({ stream: 0, update: 0 });
  });

  it('retries a flush that failed for a passing reason, without losing text', async () => {
    const { poster } = setup({ nativeStreaming: false });
    slack.failNext('chat.update', { error: 'internal_error' });
    const answer = poster.startAnswer(channelTarget);
    answer.append('one ');
    await waitFor(() => expect(callsTo(slack, 'chat.update').length).toBeGreaterThanOrEqual(1));
    answer.append('two');
    await answer.finish();
    expect(shown(slack, 'C1')).toEqual(['one two']);
  });
});

describe('startAnswer without native streaming', () => {
  it('posts a placeholder at once, then edits it into the answer', async () => {
    const { poster } = setup({ nativeStreaming: false });
    const answer = poster.startAnswer(channelTarget);
    await waitFor(() => expect(callsTo(slack, 'chat.postMessage')).toHaveLength(1));
    expect(callsTo(slack, 'chat.postMessage')[0]).toMatchObject({ text: PLACEHOLDER_TEXT });
    answer.append('The answer is 42.');
    const { ts } = await answer.finish();
    expect(callsTo(slack, 'chat.startStream')).toHaveLength(0);
    expect(ts).toHaveLength(1);
    expect(shown(slack, 'C1')).toEqual(['The answer is 42.']);
  });

  it('fail() replaces the placeholder with the error message', async () => {
    const { poster } = setup({ nativeStreaming: false });
    const answer = poster.startAnswer(channelTarget);
    await waitFor(() => expect(callsTo(slack, 'chat.postMessage')).toHaveLength(1));
    const { ts } = await answer.fail('Something went wrong on my side.');
    expect(callsTo(slack, 'chat.postMessage')).toHaveLength(1);
    expect(callsTo(slack, 'chat.update')).toHaveLength(1);
    expect(ts).toHaveLength(1);
    expect(shown(slack, 'C1')).toEqual(['⚠️ Something went wrong on my side.']);
  });

  it('fail() after some text keeps it and says once that it was cut off, and why', async () => {
    const { poster } = setup({ nativeStreaming: false });
    const answer = poster.startAnswer(channelTarget);
    answer.append('Partial answer');
    const { ts } = await answer.fail(userMessageFor(new AppError('llm_stream_cut', 'stream cut')));
    expect(ts).toHaveLength(1);
    const [note] = shown(slack, 'C1');
    expect(note).toMatch(/^Partial answer\n\n> ⚠️ The answer was cut off\. \S/);
    expect(note?.match(/cut off/gi)).toHaveLength(1);
  });
});

describe('flush pacing', () => {
  it('lengthens the interval as answers run concurrently, within Slack’s per-method limits', () => {
    expect(flushIntervalMs('stream', 1)).toBe(1000);
    expect(flushIntervalMs('stream', 4)).toBe(3000);
    expect(flushIntervalMs('stream', 20)).toBe(15_000);
    expect(flushIntervalMs('update', 1)).toBe(1500);
    expect(flushIntervalMs('update', 10)).toBe(15_000);
    // Whatever the count, all answers together stay under ~100 appends and ~50 updates a minute.
    for (const n of [1, 3, 7, 25, 80]) {
      expect((n * 60_000) / flushIntervalMs('stream', n)).toBeLessThanOrEqual(100);
      expect((n * 60_000) / flushIntervalMs('update', n)).toBeLessThanOrEqual(50);
    }
  });

  it('waits longer between one answer’s flushes when more answers stream at once', async () => {
    const { clock, poster } = setup();
    const waitsWith = async (concurrent: number): Promise<number[]> => {
      const others = Array.from({ length: concurrent - 1 }, () => poster.startAnswer(channelTarget));
      const answer = poster.startAnswer(channelTarget);
      expect(poster.activeAnswers().stream).toBe(concurrent);
      clock.sleeps.length = 0;
      const starts = callsTo(slack, 'chat.startStream').length;
      answer.append('a ');
      await waitFor(() => expect(callsTo(slack, 'chat.startStream').length).toBe(starts + 1));
      const before = callsTo(slack, 'chat.appendStream').length;
      answer.append('b ');
      await waitFor(() => expect(callsTo(slack, 'chat.appendStream').length).toBe(before + 1));
      const waits = [...clock.sleeps];
      await answer.finish();
      await Promise.all(others.map((o) => o.fail('x')));
      return waits;
    };
    const alone = await waitsWith(1);
    const withFive = await waitsWith(5);
    expect(alone).toContain(1000);
    expect(withFive).toContain(3750);
    expect(poster.activeAnswers()).toEqual({ stream: 0, update: 0 });
  });
});

describe('reply', () => {
  it('posts a long answer as several messages in the thread, metadata on the last', async () => {
    const { poster } = setup();
    const text = `${'Lorem ipsum dolor sit amet. '.repeat(30)}\n\n`.repeat(30);
    const metadata = { event_type: 'backchannel_answer', event_payload: { request_id: 'r1' } };
    const { ts } = await poster.answer(channelTarget, text, { requestId: 'r1' });
    const posts = callsTo(slack, 'chat.postMessage');
    expect(ts).toHaveLength(posts.length);
    expect(posts.length).toBeGreaterThan(1);
    for (const p of posts) {
      const blocks = p.blocks as Array<{ text: string }>;
      expect(blocks[0]!.text.length).toBeLessThanOrEqual(MESSAGE_MAX_CHARS);
      expect(p.thread_ts).toBe(channelTarget.threadTs);
    }
    expect(posts.slice(0, -1).every((p) => p.metadata === undefined)).toBe(true);
    expect(posts.at(-1)?.metadata).toEqual(metadata);
    expect(shown(slack, 'C1').join('').trimEnd()).toBe(text.trimEnd());
  });

  it('neutralises broadcasts in replies', async () => {
    const { poster } = setup();
    await poster.reply(channelTarget, 'Heads up <!here>');
    expect(shown(slack, 'C1')).toEqual([neutralizeBroadcasts('Heads up <!here>')]);
    expect(JSON.stringify(slack.calls())).not.toContain('<!here>');
  });

  it('reports Slack errors as AppError with the Slack code and never the token', async () => {
    const { poster } = setup();
    slack.failNext('chat.postMessage', { error: 'not_in_channel' });
    const err = await poster.reply(channelTarget, 'hi').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'slack_not_in_channel', retryable: false });
    expect((err as Error).message).toContain('not_in_channel');
    expect(JSON.stringify(err)).not.toContain(TOKEN);
    expect((err as Error).message).not.toContain(TOKEN);

    slack.failNext('chat.postMessage', { error: 'channel_not_found' });
    await expect(poster.reply(channelTarget, 'hi')).rejects.toMatchObject({
      code: 'slack_api',
      message: expect.stringContaining('channel_not_found'),
    });
  });
});

describe('rate limits', () => {
  it('a 429 in one channel does not delay a post to another', async () => {
    const { clock, poster } = setup({ auto: false });
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 30, match: (p) => p.channel === 'C1' });
    let c1Done = false;
    const c1 = poster.reply(channelTarget, 'to C1').then((r) => {
      c1Done = true;
      return r;
    });
    await waitFor(() => expect(clock.pending()).toBe(1));
    const c2 = await poster.reply({ channelId: 'C2', threadTs: '1.2' }, 'to C2');
    expect(c2.ts).toHaveLength(1);
    expect(c1Done).toBe(false);
    // A second post to C1 waits behind the same Retry-After.
    const c1Again = poster.reply(channelTarget, 'again to C1');
    await waitFor(() => expect(clock.pending()).toBe(2));
    expect(clock.sleeps).toEqual([30_000, 30_000]);
    clock.advance(30_000);
    await expect(c1).resolves.toMatchObject({ ts: [expect.any(String)] });
    await expect(c1Again).resolves.toMatchObject({ ts: [expect.any(String)] });
    expect(shown(slack, 'C1').sort()).toEqual(['again to C1', 'to C1']);
  });

  it('gives up with a retryable AppError when Slack asks for a long wait', async () => {
    const { poster } = setup({ auto: false });
    // Badges are background writes, which wait up to 10 minutes for their budget.
    slack.failNext('reactions.add', { status: 429, retryAfter: 900 });
    await expect(poster.react('C1', '1.1', 'eyes')).rejects.toMatchObject({
      code: 'slack_api',
      retryable: true,
      retryAfterMs: 900_000,
    });
    // A foreground write gives up sooner (past a minute).
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 120 });
    await expect(poster.reply(channelTarget, 'hi')).rejects.toMatchObject({
      retryable: true,
      retryAfterMs: 120_000,
    });
  });
});

describe('reactions', () => {
  it('treats already_reacted and no_reaction as success', async () => {
    const { poster } = setup();
    slack.failNext('reactions.add', { error: 'already_reacted' });
    slack.failNext('reactions.remove', { error: 'no_reaction' });
    await expect(poster.react('C1', '1.1', 'eyes')).resolves.toBeUndefined();
    await expect(poster.unreact('C1', '1.1', 'eyes')).resolves.toBeUndefined();
    expect(callsTo(slack, 'reactions.add')[0]).toMatchObject({
      channel: 'C1',
      timestamp: '1.1',
      name: 'eyes',
    });
  });

  it('reports other reaction errors', async () => {
    const { poster } = setup();
    slack.failNext('reactions.add', { error: 'invalid_name' });
    await expect(poster.react('C1', '1.1', 'nope')).rejects.toMatchObject({ code: 'slack_api' });
  });
});

describe('the assistant status, where a workspace has no agent sessions', () => {
  const work = { title: 'q', initiator: 'U1', status: 'is thinking…' };
  const statusWork = (poster: ReturnType<typeof setup>['poster']) => {
    slack.withoutSessions('not_allowed');
    return poster.sessions.processing(channelTarget, work);
  };

  it('refreshes the status before Slack’s 2-minute expiry until the work ends', async () => {
    const { clock, poster } = setup({ auto: false });
    const handle = await statusWork(poster);
    expect(handle.shown).toBe(true);
    expect(callsTo(slack, 'assistant.threads.setStatus')).toEqual([
      { channel_id: 'C1', thread_ts: channelTarget.threadTs, status: 'is thinking…' },
    ]);
    expect(clock.sleeps).toEqual([90_000]);
    clock.advance(90_000);
    await waitFor(() => expect(callsTo(slack, 'assistant.threads.setStatus')).toHaveLength(2));
    await waitFor(() => expect(clock.pending()).toBe(1));
    clock.advance(90_000);
    await waitFor(() => expect(callsTo(slack, 'assistant.threads.setStatus')).toHaveLength(3));
    // The end blanks it (no reply will), and nothing refreshes it after.
    await handle.end(undefined);
    clock.advance(500_000);
    await new Promise((r) => setTimeout(r, 20));
    expect(callsTo(slack, 'assistant.threads.setStatus').map((c) => c.status)).toEqual([
      'is thinking…',
      'is thinking…',
      'is thinking…',
      '',
    ]);
  });

  it('stops refreshing once the app posts in the thread (Slack clears the status then)', async () => {
    const { clock, poster } = setup({ auto: false });
    await statusWork(poster);
    await poster.reply(channelTarget, 'Here is the answer.');
    clock.advance(90_000);
    await new Promise((r) => setTimeout(r, 20));
    expect(callsTo(slack, 'assistant.threads.setStatus')).toHaveLength(1);
    expect(clock.pending()).toBe(0);
  });

  it('falls back silently when the thread is not an assistant thread', async () => {
    const { clock, poster } = setup({ auto: false });
    slack.failNext('assistant.threads.setStatus', { error: 'missing_scope', times: Infinity });
    const handle = await statusWork(poster);
    expect(handle.shown).toBe(false);
    expect(clock.pending()).toBe(0);
    await handle.end(undefined);
    expect(callsTo(slack, 'assistant.threads.setStatus')).toHaveLength(1);
  });
});

describe('postEphemeral and respond', () => {
  it('posts an ephemeral message to one user', async () => {
    const { poster } = setup();
    await poster.postEphemeral('C1', 'U1', 'Only you <!channel>', { threadTs: '1.0' });
    expect(callsTo(slack, 'chat.postEphemeral')[0]).toMatchObject({
      channel: 'C1',
      user: 'U1',
      thread_ts: '1.0',
      text: `Only you @${WJ}channel`,
    });
  });

  it('POSTs JSON to a response_url at most 5 times', async () => {
    const { poster } = setup();
    const { id, url } = slack.mintResponseUrl({ channel: 'C1', user: 'U1' });
    for (let i = 0; i < 5; i++)
      await poster.respond(url, { text: 'working on it', response_type: 'ephemeral' });
    const bodies = () => slack.responses(id).map((r) => r.body);
    expect(bodies()).toHaveLength(5);
    expect(bodies()[0]).toEqual({ text: 'working on it', response_type: 'ephemeral' });
    await expect(poster.respond(url, { text: 'sixth' })).rejects.toMatchObject({
      code: 'slack_response_url_expired',
    });
    expect(bodies()).toHaveLength(5);
  });

  it('reports an expired response_url', async () => {
    const { poster } = setup();
    // A URL Slack no longer knows answers 404, as an expired one does.
    await expect(poster.respond(`${slack.url}/response/T1/2/def`, { text: 'x' })).rejects.toMatchObject({
      code: 'slack_response_url_expired',
    });
  });
});
