import { describe, expect, it } from 'vitest';
import { botReplies, pause, settled, useStack, waitForReplies } from '../support/stack.js';

const start = useStack();

describe('answers in threads', () => {
  it('answers a top-level mention in its thread, and follow-ups there without a mention', async () => {
    const s = await start();
    const { ts, acks } = await s.driver.mention({
      channel: 'C1',
      user: 'U1',
      text: 'what is the capital of France?',
    });
    expect(acks.map((a) => a.status)).toEqual([200, 200]);
    const [answer] = await waitForReplies(s, 'C1', ts);
    // system prompt + the question
    expect(answer?.text).toContain('[messages=2 last="');
    expect(answer?.text).toContain('what is the capital of France?');
    expect(s.llm.requests()).toHaveLength(1);

    await s.driver.message({ channel: 'C1', user: 'U1', text: 'and of Spain?', threadTs: ts });
    const replies = await waitForReplies(s, 'C1', ts, 2);
    // system + question + answer + follow-up: the thread arrived as context
    expect(replies[1]?.text).toContain('[messages=4 last="');
    const second = s.llm.requests()[1];
    expect(second?.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(String(second?.messages[1]?.content)).toMatch(/^user-u1: what is the capital/i);
    // No history call at all: the mention started the thread, and the cache was extended with the
    // turns the bot saw, so the follow-up needed none either.
    expect(s.slack.calls('conversations.replies')).toHaveLength(0);

    // Mentioning the bot in a thread it follows needs no history call either.
    await s.driver.mention({ channel: 'C1', user: 'U1', text: 'and of Italy?', threadTs: ts });
    const third = await waitForReplies(s, 'C1', ts, 3);
    expect(third[2]?.text).toContain('[messages=6 last="');
    expect(s.slack.calls('conversations.replies')).toHaveLength(0);
  });

  it('answers a mention inside an existing thread with the whole thread, and ignores later unmentioned replies', async () => {
    const s = await start();
    const root = s.slack.addMessage({ channel: 'C2', user: 'U2', text: 'Our deploy failed at step 3' });
    s.slack.addMessage({ channel: 'C2', user: 'U3', text: 'Logs say disk full', thread_ts: root.ts });
    const { ts } = await s.driver.mention({
      channel: 'C2',
      user: 'U2',
      text: 'what should we do?',
      threadTs: root.ts,
    });
    const [answer] = await waitForReplies(s, 'C2', root.ts);
    expect(answer?.text).toContain('[messages=4 last="');
    expect(ts).toBeTruthy();
    await s.driver.message({ channel: 'C2', user: 'U3', text: 'thanks all', threadTs: root.ts });
    await pause(400);
    expect(s.llm.requests()).toHaveLength(1);
    expect(botReplies(s, 'C2', root.ts)).toHaveLength(1);
  });

  it('answers a DM in the DM thread', async () => {
    const s = await start();
    const { ts, ack } = await s.driver.dm({ user: 'U4', text: 'hello there' });
    expect(ack.status).toBe(200);
    const channel = s.driver.dmChannel('U4');
    const [answer] = await waitForReplies(s, channel, ts);
    expect(answer?.text).toContain('hello there');
    // In a DM the stream has no recipient ids; in channels it does.
    const start1 = s.slack.calls('chat.startStream')[0];
    expect(start1?.params.recipient_user_id).toBeUndefined();
  });

  it('/ask posts a thread root quoting the asker, answers there, and explains help privately', async () => {
    const s = await start();
    const help = await s.driver.command({ text: 'help', user: 'U5', channel: 'C5' });
    expect(help.ack.status).toBe(200);
    expect(JSON.parse(help.ack.body)).toMatchObject({ response_type: 'ephemeral' });
    const empty = await s.driver.command({ text: '', user: 'U5', channel: 'C5' });
    expect(JSON.parse(empty.ack.body).text).toContain('/ask');
    expect(s.slack.messages('C5')).toHaveLength(0);

    const ask = await s.driver.command({ text: 'help me write a haiku', user: 'U5', channel: 'C5' });
    expect(ask.ack.status).toBe(200);
    const root = await s.slack.waitFor(() =>
      s.slack.messages('C5').find((m) => !m.thread_ts || m.thread_ts === m.ts),
    );
    expect(root.text).toContain('<@U5>');
    expect(root.text).toContain('help me write a haiku');
    const [answer] = await waitForReplies(s, 'C5', root.ts);
    // The root, posted by the bot, is the asker's question (a user turn), not an assistant turn.
    expect(answer?.text).toContain('[messages=2 last="');
    expect(s.llm.requests()[0]?.messages.map((m) => m.role)).toEqual(['system', 'user']);
  });

  it('/ask in a channel the bot is not in says so through the response URL', async () => {
    const s = await start();
    s.slack.setChannel('C6', { member: false });
    const { responseId } = await s.driver.command({ text: 'anyone there?', user: 'U6', channel: 'C6' });
    const response = await s.slack.waitFor(() => s.slack.responses(responseId)[0]);
    expect(JSON.stringify(response)).toMatch(/invite/i);
    expect(s.llm.requests()).toHaveLength(0);
  });

  it('answers two messages arriving together in one thread in order, each with the context before it', async () => {
    const s = await start({ llm: { ttftMs: 150, tokensPerSecond: 400, words: 10 } });
    const { ts } = await s.driver.mention({ channel: 'C7', user: 'U7', text: 'first question' });
    await waitForReplies(s, 'C7', ts);
    await Promise.all([
      s.driver.message({ channel: 'C7', user: 'U7', text: 'second question', threadTs: ts }),
      s.driver.message({ channel: 'C7', user: 'U8', text: 'third question', threadTs: ts }),
    ]);
    const replies = await waitForReplies(s, 'C7', ts, 3);
    const reqs = s.llm.requests();
    expect(reqs).toHaveLength(3);
    // Not interleaved: the third request saw the second answer.
    expect(reqs[2]?.messages.length).toBe((reqs[1]?.messages.length ?? 0) + 2);
    expect(replies[1]?.text).toContain('second question');
    expect(replies[2]?.text).toContain('third question');
    expect(Number(replies[1]?.ts)).toBeLessThan(Number(replies[2]?.ts));
  });

  it('falls back to a posted and edited message when Slack refuses streaming', async () => {
    const s = await start();
    s.slack.refuseStreaming('feature_not_enabled');
    const { ts } = await s.driver.mention({ channel: 'C9', user: 'U9', text: 'fallback please' });
    const answer = await s.slack.waitFor(() =>
      botReplies(s, 'C9', ts).find((m) => m.text.includes('fallback please')),
    );
    expect(answer.text).toContain('[messages=2');
    expect(s.slack.calls('chat.postMessage').length + s.slack.calls('chat.update').length).toBeGreaterThan(0);
  });

  it('renders Markdown in a markdown block and never lets a broadcast mention ping', async () => {
    const s = await start({ llm: { text: '**Bold** and `code`\n\n<!channel> hey @here and <!everyone>' } });
    const { ts } = await s.driver.mention({ channel: 'C10', user: 'U10', text: 'format' });
    const [answer] = await waitForReplies(s, 'C10', ts);
    const shown = JSON.stringify(answer);
    expect(shown).toContain('**Bold**');
    expect(shown).not.toContain('<!channel>');
    expect(shown).not.toContain('<!everyone>');
    expect(shown).not.toMatch(/(^|[^\u2060])@here/);
  });

  it('continues a long answer in further messages, losing nothing', async () => {
    const long = Array.from({ length: 2500 }, (_, i) => `word${i}`).join(' ');
    const s = await start({ llm: { text: long }, env: { MAX_ANSWER_TOKENS: '4000' } });
    const { ts } = await s.driver.mention({ channel: 'C11', user: 'U11', text: 'write a lot' });
    const replies = await s.slack.waitFor(() => {
      const r = botReplies(s, 'C11', ts);
      const all = r.map((m) => m.text).join(' ');
      return r.every(settled) && all.includes('word2499') ? r : undefined;
    }, 15_000);
    expect(replies.length).toBeGreaterThan(1);
    for (const m of replies) expect(m.text.length).toBeLessThanOrEqual(12_000);
    const words = replies
      .map((m) => m.text)
      .join(' ')
      .split(/\s+/)
      .filter((w) => w.startsWith('word'));
    expect(new Set(words).size).toBe(2500);
  });
});

describe('when the LLM fails', () => {
  it('retries a 429 after its retry-after, then answers', async () => {
    const s = await start();
    s.llm.failNext({ kind: '429', retryAfter: 1 });
    const { ts } = await s.driver.mention({ channel: 'C12', user: 'U12', text: 'rate limited?' });
    const [answer] = await waitForReplies(s, 'C12', ts);
    expect(answer?.text).toContain('rate limited?');
    const reqs = s.llm.requests();
    expect(reqs).toHaveLength(2);
  });

  it('says plainly when the quota is gone, without retrying', async () => {
    const s = await start();
    s.llm.failNext({ kind: 'insufficient_quota' });
    const { ts } = await s.driver.mention({ channel: 'C13', user: 'U13', text: 'quota?' });
    const [reply] = await waitForReplies(s, 'C13', ts);
    expect(reply?.text).toMatch(/quota/i);
    expect(s.llm.requests()).toHaveLength(1);
    const metrics = await (await fetch(`http://127.0.0.1:${s.bot.port}/metrics`)).text();
    expect(metrics).toMatch(/backchannel_llm_calls_total\{outcome="llm_quota_exceeded"\} 1/);
    // No stuck status: it was cleared.
    expect(s.slack.assistantStatus('C13', ts)?.status ?? '').toBe('');
  });

  it('ends a hung stream at the deadline with a visible error', async () => {
    const s = await start({ env: { LLM_TIMEOUT_MS: '1500', LLM_MAX_RETRIES: '0' } });
    s.llm.failNext({ kind: 'hang' });
    const { ts } = await s.driver.mention({ channel: 'C14', user: 'U14', text: 'hang?' });
    const [reply] = await waitForReplies(s, 'C14', ts, 1, 10_000);
    expect(reply?.text).toMatch(/too long|ask again/i);
  });

  it('keeps the text of a stream cut midway, marked as cut off', async () => {
    const s = await start({ llm: { words: 40 } });
    s.llm.failNext({ kind: 'cut', afterChunks: 8 });
    const { ts } = await s.driver.mention({ channel: 'C15', user: 'U15', text: 'cut?' });
    const [reply] = await waitForReplies(s, 'C15', ts);
    expect(reply?.text).toContain('[messages=2');
    expect(reply?.text).toMatch(/⚠️/);
    expect(reply?.text).toMatch(/cut off/i);
  });

  it('trims a long thread to the budget, keeping the root and the newest question', async () => {
    const s = await start({
      env: { CONTEXT_TOKEN_BUDGET: '600', MAX_ANSWER_TOKENS: '100', BACKGROUND_TOKEN_THRESHOLD: '100000' },
    });
    const root = s.slack.addMessage({ channel: 'C16', user: 'U16', text: 'ROOT: the topic of this thread' });
    for (let i = 0; i < 30; i++)
      s.slack.addMessage({
        channel: 'C16',
        user: 'U17',
        text: `middle message ${i} ${'filler '.repeat(20)}`,
        thread_ts: root.ts,
      });
    await s.driver.mention({ channel: 'C16', user: 'U16', text: 'NEWEST question', threadTs: root.ts });
    await waitForReplies(s, 'C16', root.ts);
    const sent = s.llm.requests()[0]?.messages ?? [];
    expect(sent.length).toBeLessThan(32);
    expect(String(sent[1]?.content)).toContain('ROOT: the topic');
    expect(String(sent[sent.length - 1]?.content)).toContain('NEWEST question');
    expect(String(sent[sent.length - 2]?.content)).toContain('middle message 29');
  });
});
