import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ThreadTarget } from '../../src/core/domain.js';
import { createSlackPoster } from '../../src/out/poster.js';
import { createSlackClient } from '../../src/out/web-client.js';
import { type SlackApiStandin, startSlackApi } from '../../standins/slack/index.js';
import { defaultBadges } from '../support/badges.js';
import { testClock } from '../support/test-clock.js';
import { hostileText, liveSyntax, splitAt } from './hostile.js';

/**
 * What Slack assembles from everything the poster sends must hold no live mention and no masked
 * link, however the model's text is cut into deltas and whenever the flushes happen: the stream's
 * pieces joined (startStream + appendStream… + stopStream), and every posted or edited message.
 */

const logger = pino({ level: 'silent' });
const target: ThreadTarget = {
  teamId: 'T1',
  channelId: 'C1',
  threadTs: '1690000000.000100',
  userId: 'U1',
  isDm: false,
};

let slack: SlackApiStandin;
beforeAll(async () => {
  slack = await startSlackApi();
});
afterAll(() => slack.close());

/** A poster on a clean stand-in (each property run starts from an empty workspace). */
const setup = (nativeStreaming: boolean) => {
  slack.reset();
  const clock = testClock({ auto: true });
  const poster = createSlackPoster({
    client: createSlackClient({ token: 'xoxb-test', apiUrl: slack.apiUrl, logger, retries: 0 }),
    logger,
    nativeStreaming,
    badges: defaultBadges,
    now: clock.now,
    sleep: clock.sleep,
  });
  return { poster };
};

type Params = Record<string, unknown>;
const markdownOf = (p: Params): string =>
  ((p.blocks ?? []) as Array<{ text?: unknown }>)
    .map((b) => (typeof b.text === 'string' ? b.text : ''))
    .join('\n');

/** Every text Slack would render from the calls made, with what each one is. */
const renderedTexts = (calls: Array<{ method: string; params: Params }>): [string, string][] => {
  const stream = calls
    .filter((c) => ['chat.startStream', 'chat.appendStream', 'chat.stopStream'].includes(c.method))
    .map((c) => String(c.params.markdown_text ?? ''))
    .join('');
  const messages = calls
    .filter((c) => ['chat.postMessage', 'chat.update', 'chat.postEphemeral'].includes(c.method))
    .flatMap((c): [string, string][] => [
      [`${c.method} text`, String(c.params.text ?? '')],
      [`${c.method} markdown`, markdownOf(c.params)],
    ]);
  return [['joined stream', stream], ...messages];
};

const expectNothingLive = (texts: [string, string][]) => {
  for (const [where, text] of texts) expect({ where, live: liveSyntax(text) }).toEqual({ where, live: [] });
};

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** No pause, a tick, or until the poster's next Slack call: flushes then cut the text anywhere. */
const pause = async (kind: number): Promise<void> => {
  if (kind === 0) return;
  if (kind === 1) return tick();
  const before = slack.calls().length;
  const until = Date.now() + 50;
  while (slack.calls().length === before && Date.now() < until) await new Promise((r) => setTimeout(r, 2));
};

describe('neutralisation of everything the poster sends', () => {
  it('leaves nothing live in a streamed or posted answer, whatever the deltas and flush timing', async () => {
    await fc.assert(
      fc.asyncProperty(
        hostileText(),
        fc.array(fc.nat(), { minLength: 2, maxLength: 24 }),
        fc.array(fc.constantFrom(0, 1, 2, 2, 2), { maxLength: 25 }),
        fc.boolean(),
        fc.constantFrom(undefined, 'cut', 'error'),
        async (text, cuts, pauses, nativeStreaming, ending) => {
          const { poster } = setup(nativeStreaming);
          const answer = poster.startAnswer(target);
          // Text first, so that a stream starts before the hostile part arrives.
          for (const [i, piece] of splitAt(`Intro. ${text}`, cuts).entries()) {
            answer.append(piece);
            await pause(pauses[i] ?? 0);
          }
          if (ending === 'cut') await answer.finish({ error: 'The stream broke.', cutOff: true });
          else if (ending === 'error') await answer.fail('Something failed.');
          else await answer.finish();
          expectNothingLive(renderedTexts(slack.calls()));
        },
      ),
      { numRuns: 80 },
    );
  }, 60_000);

  it('leaves nothing live in replies and ephemeral messages', async () => {
    await fc.assert(
      fc.asyncProperty(hostileText(), async (text) => {
        const { poster } = setup(true);
        await poster.reply(target, `Answer: ${text}`);
        await poster.postEphemeral('C1', 'U1', `Note: ${text}`);
        expectNothingLive(renderedTexts(slack.calls()));
      }),
      { numRuns: 60 },
    );
  }, 60_000);

  it('leaves nothing live in a response_url body', async () => {
    const { poster } = setup(true);
    const { id, url } = slack.mintResponseUrl({ channel: 'C1', user: 'U1' });
    const label = 'x'.repeat(130);
    await poster.respond(url, {
      text: `<!channel|${label}> see [this](https://evil.example) <https://evil.example|here>`,
    });
    const sent = String(slack.responses(id)[0]?.body.text ?? '');
    expect(liveSyntax(sent)).toEqual([]);
    expect(sent).toContain('https://evil.example');
  });

  it('shows the target of a masked link, and a split broadcast pings nobody', async () => {
    const { poster } = setup(true);
    const answer = poster.startAnswer(target);
    const label = 'y'.repeat(130);
    for (const piece of ['Hey <!channel|', label, '> see [the ', 'docs](https://evil.example) ok']) {
      answer.append(piece);
      await pause(2);
    }
    await answer.finish();
    const [[, joined] = ['', '']] = renderedTexts(slack.calls());
    expect(liveSyntax(joined)).toEqual([]);
    expect(joined).toMatch(/the docs \(https:\/\/evil\.example\) ok$/);
  });
});
