import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Playground, startPlayground } from './playground-process.js';

/**
 * The playground in a real browser (Debian's chromium, no browser download), as someone trying
 * Backchannel without a workspace would use it: Alice mentions the bot and watches the answer stream
 * in, rates it, stops a long answer, queues a question with `later`, and reads the result from Home.
 * Only the page's DOM contract (data-testid attributes) is used: what Slack would show, nothing else.
 */

const root = path.resolve(import.meta.dirname, '..', '..');
const artifacts = path.join(root, '.artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ALICE = 'U0ALICE';
const CHANNEL = 'C0GENERAL';
/** Long enough for the stand-in to stream for a while at the slow speed. */
const WAIT_MS = 45_000;

let playground: Playground;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  playground = await startPlayground();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.setDefaultTimeout(WAIT_MS);
  await page.goto(playground.url);
  // Picking a user reloads the page as that user.
  await Promise.all([
    page.waitForURL((u) => u.searchParams.get('user') === ALICE),
    page.locator('[data-testid=user-picker]').selectOption(ALICE),
  ]);
  await page.locator(`[data-testid=nav-channel][data-channel=${CHANNEL}]`).click();
  await page.locator('[data-testid=composer]').waitFor();
});

// A failed step leaves what the page showed, and what the playground printed last.
afterEach(async ({ task }) => {
  if (task.result?.state !== 'fail' || !page) return;
  await page.screenshot({ path: path.join(artifacts, `failed-${task.name.replace(/\W+/g, '-')}.png`) });
  process.stderr.write(`playground output, last lines:\n${playground.tail()}\n`);
});

afterAll(async () => {
  await browser?.close();
  await playground?.stop();
});

// ----- the page, as a user reads it ------------------------------------------------------------------

const thread = () => page.locator('[data-testid=thread]');
const botMessagesInThread = () => thread().locator('[data-testid=message][data-bot=true]');
const textOf = (message: Locator) =>
  message
    .locator('[data-testid=message-text]')
    .textContent()
    .then((t) => t ?? '');

/** Types into the channel's composer and sends; returns the message Alice just posted. */
const sendInChannel = async (text: string): Promise<Locator> => {
  await page.locator('[data-testid=composer]').fill(text);
  await page.locator('[data-testid=send]').click();
  const mine = page
    .locator(`[data-testid=message][data-user=${ALICE}]`)
    .filter({
      has: page.locator('[data-testid=message-text]', { hasText: text.replace('@Backchannel ', '') }),
    })
    .first();
  await mine.waitFor();
  return mine;
};

/** Opens the thread under a channel message, once the bot has replied there. */
const openThread = async (message: Locator) => {
  const ts = await message.getAttribute('data-ts');
  await page.locator(`[data-testid=open-thread][data-ts="${ts}"]`).first().click();
  await thread().waitFor();
  return ts!;
};

const knobPosted = () => page.waitForResponse((r) => r.request().method() === 'POST' && r.ok());
/** Sets a knob: a select takes the option whose value or label matches, an input takes the text. */
const setKnob = async (name: string, wanted: RegExp, inputValue: string) => {
  const knob = page.locator(`[data-testid=knob-${name}]`);
  if ((await knob.evaluate((el) => el.tagName)) === 'SELECT') {
    const options = await knob
      .locator('option')
      .evaluateAll((els) =>
        els.map((o) => ({ value: o.getAttribute('value') ?? '', label: o.textContent ?? '' })),
      );
    const option = options.find((o) => wanted.test(o.value) || wanted.test(o.label));
    if (!option) throw new Error(`knob ${name} has no option like ${wanted}: ${JSON.stringify(options)}`);
    // The knob posts its value; the next message must not reach the stand-in before it lands.
    await Promise.all([knobPosted(), knob.selectOption(option.value)]);
  } else {
    await knob.fill(inputValue);
    await Promise.all([knobPosted(), knob.dispatchEvent('change')]);
  }
};

/**
 * Records every text the newest bot message in the thread pane shows, as the page re-renders: a
 * MutationObserver in the page, so no intermediate text is lost between two polls. (A string: the
 * project's TypeScript has no DOM types, and this runs in the page.)
 */
const RECORD_THREAD_TEXTS = `(() => {
  const seen = [];
  window.seenTexts = seen;
  const look = () => {
    const texts = document.querySelectorAll(
      '[data-testid=thread] [data-testid=message][data-bot="true"] [data-testid=message-text]');
    const text = texts.length ? texts[texts.length - 1].textContent : '';
    if (text && text !== seen[seen.length - 1]) seen.push(text);
  };
  new MutationObserver(look).observe(document.body, { subtree: true, childList: true, characterData: true });
  look();
})()`;
const recordThreadTexts = () => page.evaluate(RECORD_THREAD_TEXTS);
const recordedTexts = () => page.evaluate<string[]>('window.seenTexts');

/**
 * The README's picture (`UPDATE_DOCS_SCREENSHOT=1 npm run test:browser`): the rated thread, the blank
 * margin trimmed, scaled down and palette-quantized so the committed PNG stays small.
 */
const writeDocsScreenshot = async (png: Buffer) => {
  const { default: sharp } = await import('sharp');
  await sharp(png)
    .trim({ background: '#ffffff', threshold: 2 })
    .resize({ width: 960 })
    .png({ palette: true, quality: 80, compressionLevel: 9 })
    .toFile(path.join(root, 'docs', 'playground.png'));
};

// ----- the steps ---------------------------------------------------------------------------------------

describe('the playground in chromium', () => {
  it('mentions the bot and sees the answer stream into its thread', async () => {
    await setKnob('llm-speed', /slow/i, '20');
    const question = await sendInChannel('@Backchannel what is a backchannel?');
    await openThread(question);
    await recordThreadTexts();
    // The answer is done when the session no longer offers stop and the 👍 button is there.
    await thread().locator('button[data-action-id=feedback_vote][data-value=positive]').waitFor();
    const final = await textOf(botMessagesInThread().last());
    const seen = await recordedTexts();
    expect(final.length).toBeGreaterThan(0);
    // Streamed in place: the same message showed shorter, partial texts before the whole answer.
    // (Two at least: one shorter text alone could be a whole answer that got its 👍/👎 buttons later.)
    const partial = seen.filter((t) => t.length > 0 && t.length < final.length);
    expect(partial.length, `texts shown: ${JSON.stringify(seen)}`).toBeGreaterThanOrEqual(2);
    await page.screenshot({ path: path.join(artifacts, 'thread.png') });
  });

  it('clicks 👍 under the answer and is thanked privately', async () => {
    await thread().locator('button[data-action-id=feedback_vote][data-value=positive]').first().click();
    await expect
      .poll(() => page.getByText('Thanks for the 👍').count(), { timeout: WAIT_MS })
      .toBeGreaterThan(0);
    const shot = await page.screenshot({ path: path.join(artifacts, 'thread-rated.png') });
    if (process.env.UPDATE_DOCS_SCREENSHOT) await writeDocsScreenshot(shot);
  });

  it('stops a running session from the thread', async () => {
    await setKnob('llm-speed', /slow/i, '5');
    const question = await sendInChannel('@Backchannel tell me a long story about standups');
    await openThread(question);
    const stop = thread().locator('button[data-testid=session-stop]');
    await stop.waitFor();
    const runningStatus = await page.locator('[data-testid=session-status]').textContent();
    await stop.click();
    await stop.waitFor({ state: 'detached' });
    await expect
      .poll(() => botMessagesInThread().filter({ hasText: 'Stopped by' }).count(), { timeout: WAIT_MS })
      .toBe(1);
    expect(await page.locator('[data-testid=session-status]').textContent()).not.toBe(runningStatus);
  });

  it('asks `later` and sees ⏳ turn into ✅', async () => {
    // Slow, so the ⏳ note stays up for a while before the worker's answer replaces it.
    await setKnob('llm-speed', /slow/i, '5');
    const question = await sendInChannel('@Backchannel later what makes a good standup update?');
    const ts = await openThread(question);
    const note = botMessagesInThread()
      .filter({ hasText: /⏳|:hourglass_flowing_sand:/ })
      .first();
    await note.waitFor();
    const noteTs = await note.getAttribute('data-ts');
    const root = page.locator(`[data-testid=message][data-ts="${ts}"]`).first();
    await root
      .locator('[data-testid=reaction][data-name=white_check_mark]')
      .waitFor({ timeout: 2 * WAIT_MS });
    // The note became the answer, in place.
    const answer = thread().locator(`[data-testid=message][data-ts="${noteTs}"]`).first();
    await expect.poll(() => textOf(answer)).not.toMatch(/⏳|:hourglass_flowing_sand:/);
  });

  it('opens Home, clicks View result and sees the answer in a modal', async () => {
    await page.locator('[data-testid=nav-home]').click();
    const home = page.locator('[data-testid=home]');
    const viewResult = home.locator('button[data-action-id=bc_view_result]').first();
    await viewResult.waitFor();
    await page.screenshot({ path: path.join(artifacts, 'home.png') });
    await viewResult.click();
    const modal = page.locator('[data-testid=modal]');
    await modal.waitFor();
    await expect.poll(() => modal.textContent()).toContain('what makes a good standup update?');
    await page.screenshot({ path: path.join(artifacts, 'modal.png') });
    await modal.locator('[data-testid=modal-close]').click();
    await modal.waitFor({ state: 'detached' });
  });

  it('asks about a message with the ⋮ shortcut: fills the modal, and the answer comes in its thread', async () => {
    await setKnob('llm-speed', /fast/i, '400');
    await page.locator(`[data-testid=nav-channel][data-channel=${CHANNEL}]`).click();
    await page.locator('[data-testid=composer]').waitFor();
    const message = await sendInChannel('the deploy failed at 3pm with exit code 137');
    const ts = await message.getAttribute('data-ts');
    await page.locator(`[data-testid=message-menu][data-ts="${ts}"] summary`).click();
    await page
      .locator(
        `[data-testid=message-menu][data-ts="${ts}"] [data-testid=shortcut][data-callback-id=bc_ask_message]`,
      )
      .click();
    const modal = page.locator('[data-testid=modal]');
    await modal.locator('[data-testid=modal-form]').waitFor();
    await modal.locator('textarea[data-testid=modal-input]').first().fill('what does exit code 137 mean?');
    await page.screenshot({ path: path.join(artifacts, 'shortcut-modal.png') });
    await modal.locator('[data-testid=modal-submit]').click();
    await modal.waitFor({ state: 'detached' });
    await openThread(message);
    await expect
      .poll(async () => (await botMessagesInThread().allTextContents()).join('\n'), { timeout: 2 * WAIT_MS })
      .toContain('what does exit code 137 mean?');
  });
});
