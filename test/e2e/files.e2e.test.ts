import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../src/out/views/actions.js';
import { contentText, imageParts } from '../../standins/llm/index.js';
import { makePdf } from '../../standins/make-pdf.js';
import type { ThrowawayRedis } from '../../standins/redis-server.js';
import type { SharedFileSeed } from '../../standins/slack/index.js';
import { startTestRedis } from '../support/processes.js';
import {
  answerText,
  buttonValue,
  completeAnswers,
  deploy,
  fileStandins,
  llmRequestsFor,
  uniqueId,
  uniqueQuestion,
} from './helpers.js';

/**
 * Files shared in session threads, through real processes: the bot downloads them from the Slack
 * stand-in with its bot token and the LLM stand-in sees their contents with the question.
 */
let redis: ThrowawayRedis;
const { slack, openai } = await fileStandins({ text: answerText });

beforeAll(async () => {
  redis = await startTestRedis();
});

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
const MB = 1024 * 1024;

/** Asks `question` with `files` in a new thread and waits for its whole answer; the LLM request it made. */
const askWith = async (d: Awaited<ReturnType<typeof deploy>>, topic: string, files: SharedFileSeed[]) => {
  const channel = uniqueId('C');
  const question = uniqueQuestion(topic);
  const { ts } = await d.driver.mention({ channel, user: uniqueId('U'), text: question, files });
  await slack.waitFor(() => completeAnswers(slack, channel, ts, question)[0], 20_000, 'the answer');
  const request = llmRequestsFor(openai, question).at(-1)!;
  const lastUser = [...request.messages].reverse().find((m) => m.role === 'user');
  return { channel, ts, question, request, text: contentText(lastUser?.content) };
};

describe('files in a session, vision off', () => {
  let d: Awaited<ReturnType<typeof deploy>>;
  beforeAll(async () => {
    d = await deploy({ slack, openai, redisUrl: redis.url, name: 'files' });
  });

  it('answers a question about a CSV with the table in the LLM request', { timeout: 40_000 }, async () => {
    const { text } = await askWith(d, 'which region sold most', [
      { name: 'sales.csv', bytes: fixture('sales.csv'), mimetype: 'text/csv' },
    ]);
    expect(text).toContain('[File: sales.csv]');
    expect(text).toContain('region | quarter | revenue | notes');
    expect(text).toContain('East | Q1 | 1730 | best "ever" quarter');
  });

  it('answers a question about a PDF with both pages in the LLM request', { timeout: 40_000 }, async () => {
    const { text } = await askWith(d, 'what is the code word', [
      { name: 'report.pdf', bytes: fixture('two-pages.pdf'), mimetype: 'application/pdf' },
    ]);
    expect(text).toContain('PELICAN');
    expect(text).toContain('42 million kroner');
  });

  it('reads a file shared later in a followed thread, with the bot token, once', {
    timeout: 40_000,
  }, async () => {
    const channel = uniqueId('C');
    const user = uniqueId('U');
    const first = uniqueQuestion('hello there');
    const { ts } = await d.driver.mention({ channel, user, text: first });
    await slack.waitFor(() => completeAnswers(slack, channel, ts, first)[0], 20_000);
    const q2 = uniqueQuestion('and what does this say');
    await d.driver.message({
      channel,
      user,
      threadTs: ts,
      text: q2,
      files: [{ name: 'notes.md', bytes: Buffer.from('# Notes\nThe meeting moved to Thursday.\n') }],
    });
    await slack.waitFor(() => completeAnswers(slack, channel, ts, q2)[0], 20_000);
    const q3 = uniqueQuestion('and when is it again');
    await d.driver.message({ channel, user, threadTs: ts, text: q3 });
    await slack.waitFor(() => completeAnswers(slack, channel, ts, q3)[0], 20_000);
    const asked = JSON.stringify(llmRequestsFor(openai, q3).at(-1)?.messages);
    expect(asked).toContain('The meeting moved to Thursday.');
    const id = slack.messages(channel, ts).flatMap((m) => m.files ?? [])[0]?.id;
    const downloads = slack.fileDownloads().filter((x) => x.id === id);
    // Read once, for q2; q3 found it in the cache.
    expect(downloads).toHaveLength(1);
    expect(downloads[0]).toMatchObject({ status: 200, token: d.env.SLACK_BOT_TOKEN });
  });

  it('mentions an image by name and sends no image part', { timeout: 40_000 }, async () => {
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#ff0000' } })
      .png()
      .toBuffer();
    const { text, request } = await askWith(d, 'what is in this screenshot', [
      { name: 'screen.png', bytes: png, mimetype: 'image/png' },
    ]);
    expect(text).toContain('[File: screen.png: an image (228 bytes), not sent (image input is off)]');
    expect(imageParts(request.messages)).toEqual([]);
  });

  it('refuses a 50 MB file with a note, never reading its body', { timeout: 40_000 }, async () => {
    const { text } = await askWith(d, 'summarise the dump', [{ name: 'dump.log', generate: 50 * MB }]);
    expect(text).toContain('[File: dump.log: 50 MB, over the 10 MB limit per file, not read]');
    const lying = await askWith(d, 'and this one', [
      { name: 'small.log', generate: 50 * MB, size: 1_000, chunked: true },
    ]);
    expect(lying.text).toContain('[File: small.log: over the 10 MB limit per file, not read]');
    const sent = slack.fileDownloads().filter((x) => x.status === 200 && x.sent > 10 * MB);
    // The stand-in wrote past the cap only as far as the socket buffers let it, never the 50 MB.
    expect(sent.every((x) => x.sent < 30 * MB)).toBe(true);
  });

  it('says plainly that an external file cannot be read', { timeout: 40_000 }, async () => {
    const { text } = await askWith(d, 'what is in the partner doc', [
      { name: 'partner.txt', bytes: Buffer.from('secret'), external: 'denied' },
    ]);
    expect(text).toContain('[File: partner.txt: shared from another organisation (Slack Connect)');
    expect(text).not.toContain('secret');
  });

  it('reads a Slack Connect file that came as a stub, through files.info', { timeout: 40_000 }, async () => {
    const before = slack.calls('files.info').length;
    const { text } = await askWith(d, 'what does the partner list say', [
      { name: 'partners.csv', bytes: Buffer.from('partner,region\nAcme,North\n'), stub: true },
    ]);
    expect(slack.calls('files.info').length).toBeGreaterThan(before);
    expect(text).toContain('Acme | North');
  });
});

describe('files in a session, vision on', () => {
  let d: Awaited<ReturnType<typeof deploy>>;
  beforeAll(async () => {
    d = await deploy({
      slack,
      openai,
      redisUrl: redis.url,
      name: 'files-vision',
      extra: { OPENAI_VISION: 'true', BACKGROUND_TOKEN_THRESHOLD: '3000', CONTEXT_TOKEN_BUDGET: '32000' },
    });
  });

  it('sends an image as an image part, resized', { timeout: 40_000 }, async () => {
    const png = await sharp({ create: { width: 3000, height: 1500, channels: 3, background: '#00ff00' } })
      .png()
      .toBuffer();
    const { request, text } = await askWith(d, 'describe this chart', [
      { name: 'chart.png', bytes: png, mimetype: 'image/png' },
    ]);
    const images = imageParts(request.messages);
    expect(images).toHaveLength(1);
    expect(images[0]).toMatch(/^data:image\/jpeg;base64,/);
    const meta = await sharp(Buffer.from(images[0]!.split(',')[1]!, 'base64')).metadata();
    expect([meta.width, meta.height]).toEqual([1536, 768]);
    expect(text).toContain('[File: chart.png] (image, attached)');
  });

  it('answers a long PDF in the background, and View result lists the file', {
    timeout: 60_000,
  }, async () => {
    const pages = Array.from({ length: 12 }, (_, p) =>
      Array.from({ length: 40 }, (_, l) => `page ${p + 1} line ${l + 1}: revenue rose in every region`),
    );
    const channel = uniqueId('C');
    const user = uniqueId('U');
    const question = uniqueQuestion('summarise this long report');
    const { ts } = await d.driver.mention({
      channel,
      user,
      text: question,
      files: [{ name: 'long-report.pdf', bytes: makePdf(pages), mimetype: 'application/pdf' }],
    });
    await slack.waitFor(() => completeAnswers(slack, channel, ts, question)[0], 30_000);
    // Long context: queued, so the answer ends with the ✅ badge of a background answer.
    await slack.waitFor(() => slack.reactions(channel, ts).includes('white_check_mark'), 10_000);
    expect(JSON.stringify(llmRequestsFor(openai, question).at(-1)?.messages)).toContain('page 12 line 40');

    await d.driver.homeOpened({ user });
    const value = await slack.waitFor(() => buttonValue(slack.homeView(user), ACTION_IDS.viewResult), 10_000);
    expect(value).toBeTruthy();
    await d.driver.blockAction({ user, actionId: ACTION_IDS.viewResult, value: value!, container: 'view' });
    const modal = await slack.waitForCall('views.open', undefined, { timeoutMs: 10_000 });
    expect(JSON.stringify(modal.params.view)).toContain('Files read: long-report.pdf');
  });
});
