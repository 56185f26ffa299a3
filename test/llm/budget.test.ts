import { describe, expect, it, vi } from 'vitest';
import type { ChatMessage, Turn } from '../../src/core/domain.js';
import { MAX_NAME_CHARS, MAX_TURN_CHARS } from '../../src/core/text.js';
import {
  countMessages,
  countTokens,
  REPLY_PRIMING_TOKENS,
  TOKENS_PER_MESSAGE,
  TRUNCATION_MARKER,
  trimToBudget,
} from '../../src/llm/budget.js';
import { longInput } from '../../standins/long-inputs.js';
import { measureBlocking } from '../../standins/loop-watch.js';

const user = (name: string, text: string, ts = '1.0'): Turn => ({
  role: 'user',
  name,
  userId: `U${name}`,
  text,
  ts,
});
const bot = (text: string, ts = '1.0'): Turn => ({ role: 'assistant', text, ts });
const words = (n: number, word = 'lorem') => Array.from({ length: n }, (_, i) => `${word}${i}`).join(' ');

describe('the tokenizer', () => {
  it('is not loaded at import time, only on first use', async () => {
    vi.resetModules();
    const fresh = await import('../../src/llm/budget.js');
    expect(fresh.isTokenizerLoaded()).toBe(false);
    await fresh.countTokens('hello');
    expect(fresh.isTokenizerLoaded()).toBe(true);
  });

  it('counts tokens with o200k_base', async () => {
    expect(await countTokens('')).toBe(0);
    expect(await countTokens('hello world')).toBe(2);
  });

  it('counts special-token look-alikes as plain text instead of throwing', async () => {
    expect(await countTokens('see <|endoftext|> here')).toBeGreaterThan(3);
  });

  it('counts messages with per-message overhead and reply priming', async () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'hello world' },
      { role: 'user', content: 'hello world' },
    ];
    expect(await countMessages(messages)).toBe(2 * (TOKENS_PER_MESSAGE + 2) + REPLY_PRIMING_TOKENS);
  });
});

describe('trimToBudget', () => {
  const systemPrompt = 'You are Backchannel.';

  it('keeps everything when the thread fits', async () => {
    const turns = [user('Alice', 'root question'), bot('an answer'), user('Bob', 'follow-up?')];

    const result = await trimToBudget({ systemPrompt, turns, budget: 1000, reserve: 100 });

    expect(result.droppedTurns).toBe(0);
    expect(result.truncated).toBe(false);
    expect(result.messages).toHaveLength(4);
    expect(result.tokens).toBe(await countMessages(result.messages));
  });

  it('drops the oldest middle turns first, keeping the root and the newest question', async () => {
    const turns = [
      user('Alice', 'ROOT: how do we rotate the signing keys?'),
      ...Array.from({ length: 10 }, (_, i) =>
        i % 2 ? bot(`answer ${i} ${words(40)}`) : user('Bob', `middle ${i} ${words(40)}`),
      ),
      user('Carol', 'NEWEST: and what about staging?'),
    ];
    const all = await trimToBudget({ systemPrompt, turns, budget: 100_000, reserve: 0 });
    const budget = Math.floor(all.tokens / 2);

    const result = await trimToBudget({ systemPrompt, turns, budget: budget + 200, reserve: 200 });

    expect(result.tokens).toBeLessThanOrEqual(budget);
    expect(result.droppedTurns).toBeGreaterThan(0);
    expect(result.truncated).toBe(false);
    const contents = result.messages.map((m) => m.content);
    expect(contents[0]).toBe(systemPrompt);
    expect(contents[1]).toBe('Alice: ROOT: how do we rotate the signing keys?');
    expect(contents.at(-1)).toBe('Carol: NEWEST: and what about staging?');
    // What is kept of the middle is its newest part, in order.
    const kept = turns.slice(1, -1).slice(result.droppedTurns);
    expect(result.messages.slice(2, -1).map((m) => m.content)).toEqual(
      kept.map((t) => (t.role === 'user' ? `${t.name}: ${t.text}` : t.text)),
    );
    expect(result.messages).toHaveLength(2 + kept.length + 1);
  });

  it('truncates an oversize root from its end, keeping the question whole', async () => {
    const turns = [
      user('Alice', `START ${words(3000)} END`),
      bot(words(50)),
      user('Bob', 'So what is the answer?'),
    ];

    const result = await trimToBudget({ systemPrompt, turns, budget: 600, reserve: 100 });

    expect(result.tokens).toBeLessThanOrEqual(500);
    expect(result.tokens).toBeGreaterThan(450);
    expect(result.truncated).toBe(true);
    expect(result.droppedTurns).toBe(1);
    expect(result.messages).toHaveLength(3);
    const [, root, question] = result.messages;
    expect(root?.content.toString().startsWith('Alice: START lorem0 ')).toBe(true);
    expect(root?.content.toString().endsWith(` ${TRUNCATION_MARKER}`)).toBe(true);
    expect(root?.content).not.toContain('END');
    expect(question?.content).toBe('Bob: So what is the answer?');
  });

  it('then truncates the question from its start, keeping its end', async () => {
    const turns = [user('Alice', words(500)), user('Bob', `${words(3000, 'log')} so why did it crash?`)];

    const result = await trimToBudget({ systemPrompt, turns, budget: 400, reserve: 100 });

    expect(result.tokens).toBeLessThanOrEqual(300);
    expect(result.truncated).toBe(true);
    const [, root, question] = result.messages;
    expect(root?.content).toBe(`Alice: ${TRUNCATION_MARKER}`);
    expect(question?.content.toString().startsWith(`Bob: ${TRUNCATION_MARKER} `)).toBe(true);
    expect(question?.content.toString().endsWith('so why did it crash?')).toBe(true);
  });

  it('keeps the end of a lone turn, which is both root and question', async () => {
    const turns = [user('Alice', `${words(2000)} THE QUESTION?`)];

    const result = await trimToBudget({ systemPrompt, turns, budget: 200, reserve: 0 });

    expect(result.tokens).toBeLessThanOrEqual(200);
    expect(result.messages).toHaveLength(2);
    expect(result.messages[1]?.content.toString().endsWith('THE QUESTION?')).toBe(true);
  });

  it('reserves the answer tokens out of the budget', async () => {
    const turns = [user('Alice', words(400))];
    const full = await trimToBudget({ systemPrompt, turns, budget: 100_000, reserve: 0 });

    const fits = await trimToBudget({ systemPrompt, turns, budget: full.tokens + 50, reserve: 50 });
    const squeezed = await trimToBudget({ systemPrompt, turns, budget: full.tokens + 50, reserve: 51 });

    expect(fits.truncated).toBe(false);
    expect(squeezed.truncated).toBe(true);
    expect(squeezed.tokens).toBeLessThanOrEqual(full.tokens - 1);
  });

  it('fails with config_invalid when the system prompt alone overflows', async () => {
    await expect(
      trimToBudget({ systemPrompt: words(500), turns: [user('Alice', 'hi')], budget: 300, reserve: 100 }),
    ).rejects.toMatchObject({ code: 'config_invalid' });
  });
});

describe('trimToBudget on what users can send', () => {
  const systemPrompt = 'You are Backchannel.';

  it('trusts a turn’s cached count instead of tokenizing it again', async () => {
    // Short texts, but counts (as the history cache would hold them) that cannot all fit.
    const turns: Turn[] = [
      { ...user('Alice', 'root'), ts: '1.0', tokens: 3 },
      { ...bot('old answer', '1.1'), tokens: 5000 },
      { ...user('Bob', 'recent', '1.2'), tokens: 3000 },
      { ...user('Carol', 'question?', '1.3'), tokens: 4 },
    ];

    const result = await trimToBudget({ systemPrompt, turns, budget: 4000, reserve: 0 });

    expect(result.droppedTurns).toBe(1);
    expect(result.messages.map((m) => m.content)).toEqual([
      systemPrompt,
      'Alice: root',
      'Bob: recent',
      'Carol: question?',
    ]);
    const system = await countMessages([{ role: 'system', content: systemPrompt }]);
    expect(result.tokens).toBe(system + 3 * TOKENS_PER_MESSAGE + 3 + 3000 + 4);
  });

  it('fits a thread of Slack-sized hostile turns into the budget, keeping the question’s end, without blocking', async () => {
    const question = longInput('cjk');
    const turns = [
      user('Alice', longInput('no-space'), '1.0'),
      bot(longInput('base64'), '1.1'),
      user('Bob', longInput('repeated'), '1.2'),
      user('Carol', question, '1.3'),
    ];
    await countTokens('warm');

    const { result, worstCpuMs, wallMs } = await measureBlocking(() =>
      trimToBudget({ systemPrompt, turns, budget: 16_000, reserve: 1024 }),
    );

    expect(result.tokens).toBeLessThanOrEqual(16_000 - 1024);
    expect(result.tokens).toBe(await countMessages(result.messages));
    expect(result.truncated).toBe(true);
    expect(result.messages[1]?.content.toString().startsWith(`Alice: ${TRUNCATION_MARKER}`)).toBe(true);
    expect(result.messages.at(-1)?.content.toString().endsWith(question.slice(-100))).toBe(true);
    // Generous bounds for a shared machine; `npm run bench` reports the real figures.
    expect(wallMs).toBeLessThan(10_000);
    expect(worstCpuMs).toBeLessThan(100);
  });

  it('bounds a 60,000-character question and a 10,000-character name', async () => {
    const turns = [
      { ...user(`Eve\n${'e'.repeat(10_000)}`, `${'word '.repeat(12_000)}END`), tokens: undefined },
    ];

    const result = await trimToBudget({ systemPrompt, turns, budget: 1_000_000, reserve: 0 });

    const content = String(result.messages[1]?.content ?? '');
    const [speaker] = content.split(': ');
    expect(speaker?.length).toBeLessThanOrEqual(MAX_NAME_CHARS);
    expect(content.length).toBeLessThanOrEqual(MAX_NAME_CHARS + 2 + MAX_TURN_CHARS + 4);
    expect(content.endsWith(TRUNCATION_MARKER)).toBe(true);
  });
});
