import { describe, expect, it } from 'vitest';
import { liveSyntax } from '../out/hostile.js';
import { useStack, waitForReplies } from '../support/stack.js';

const start = useStack();

describe('the /ask thread root', () => {
  it('quotes the question without pinging anyone or hiding a link, and answers it as asked', async () => {
    const s = await start();
    const question =
      'hey <!channel> and @here, is <https://evil.example|the wiki> or [this](https://evil.example) right?';
    const ask = await s.driver.command({ text: question, user: 'U31', channel: 'C31' });
    expect(ask.ack.status).toBe(200);
    const root = await s.slack.waitFor(
      () => s.slack.messages('C31').find((m) => m.thread_ts === undefined || m.thread_ts === m.ts),
      5_000,
      'the /ask root',
    );

    expect(root.text).toMatch(/^<@U31> asked:\n>/);
    expect(liveSyntax(root.text)).toEqual([]);
    expect(root.text).toContain('https://evil.example');
    // The model still gets the question as the user wrote it; its answer echoes it, neutralised.
    const [answer] = await waitForReplies(s, 'C31', root.ts);
    expect(answer?.text).toContain('[messages=2');
    expect(liveSyntax(answer?.text ?? '')).toEqual([]);
    const sent = s.llm.requests()[0]?.messages.at(-1);
    expect(String(sent?.content)).toContain('<!channel>');
  });
});
