import type { types } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../../src/out/views/actions.js';
import { escapeMrkdwn, SLACK_LIMITS } from '../../../src/out/views/escape.js';
import {
  buildResultModal,
  RESULT_MODAL_CALLBACK_ID,
  type ResultModalView,
  resultMeta,
} from '../../../src/out/views/result-modal.js';
import { blockKitErrors } from '../../../standins/slack/block-kit.js';
import { CHANNEL, HOSTILE, NOW, record, result } from './fixtures.js';
import { dangerousStrings, rawAnglesInMrkdwn, textObjects } from './view-text.js';

const PERMALINK = 'https://acme.slack.com/archives/C0123ABC/p1714564801000100';
const REST = '_… the rest is in the thread._';

/** The answer's sections: between the divider and the Open thread actions. */
const answerSections = (view: ResultModalView): types.SectionBlock[] => {
  const start = view.blocks.findIndex((b) => b.type === 'divider') + 1;
  return view.blocks
    .slice(start)
    .filter((b): b is types.SectionBlock => b.type === 'section')
    .filter((b) => b.text?.text !== REST);
};

const answerText = (view: ResultModalView): string =>
  answerSections(view)
    .map((b) => b.text?.text ?? '')
    .join('');

const texts = (view: unknown): string =>
  textObjects(view)
    .map((t) => t.text)
    .join('\n');

/** Prose with paragraphs and `&`, so escaping grows it: `n` characters. */
const prose = (n: number): string => {
  const paragraph = 'Tom & Jerry ran the migration, then checked the logs and the dashboards. ';
  let out = '';
  let i = 0;
  while (out.length < n) {
    out += paragraph;
    i += 1;
    if (i % 6 === 0) out += '\n\n';
  }
  return out.slice(0, n).trimEnd();
};

describe('buildResultModal', () => {
  it('is a modal with a short title, the question, meta, the answer and Open thread', () => {
    const r = record({ title: 'How do I rotate the staging keys?' });
    const view = buildResultModal(r, result(), { permalink: PERMALINK, now: NOW });
    expect(view).toMatchObject({
      type: 'modal',
      title: { type: 'plain_text', text: 'Result' },
      close: { type: 'plain_text', text: 'Close' },
      callback_id: RESULT_MODAL_CALLBACK_ID,
      private_metadata: r.id,
    });
    expect(view.blocks[0]).toMatchObject({
      type: 'section',
      text: { type: 'plain_text', text: '❓ How do I rotate the staging keys?' },
    });
    const all = texts(view);
    expect(all).toContain(`<#${CHANNEL}> · answered 3 min ago`);
    expect(all).toContain('gpt-4o-mini · 1,204 in / 388 out tokens · answered in 9.4 s · 2 min 10 s in all');
    expect(answerText(view)).toBe('The keys rotate with `make rotate-keys`.');
    expect(view.blocks.at(-1)).toMatchObject({
      type: 'actions',
      elements: [{ type: 'button', action_id: ACTION_IDS.openThread, url: PERMALINK, value: r.id }],
    });
    expect(blockKitErrors(view)).toEqual([]);
  });

  it('uses an action button for Open thread when no safe permalink is known', () => {
    const r = record();
    for (const permalink of [undefined, 'javascript:alert(1)', 'http://evil.example']) {
      const last = buildResultModal(r, result(), { permalink, now: NOW }).blocks.at(-1) as types.ActionsBlock;
      expect(last.elements[0]).toMatchObject({ action_id: ACTION_IDS.openThread, value: r.id });
      expect((last.elements[0] as types.Button).url).toBeUndefined();
    }
  });

  it('splits a 50,000-character answer into sections of at most 3,000 characters, losing nothing', () => {
    const text = prose(50_000);
    const view = buildResultModal(record(), result({ text }), { permalink: PERMALINK, now: NOW });
    const sections = answerSections(view);
    expect(sections.length).toBeGreaterThanOrEqual(Math.ceil(escapeMrkdwn(text).length / 3000));
    for (const s of sections) {
      expect(s.text?.type).toBe('mrkdwn');
      expect(s.text?.text.length).toBeLessThanOrEqual(3000);
    }
    expect(answerText(view)).toBe(escapeMrkdwn(text));
    expect(texts(view)).not.toContain('the rest is in the thread');
    expect(blockKitErrors(view)).toEqual([]);
  });

  it('ends a longer answer than a modal holds with a pointer to the thread', () => {
    for (const text of [
      prose(400_000),
      'word '.repeat(200_000),
      '🙂'.repeat(150_000),
      `${'&'.repeat(100_000)}`,
    ]) {
      const view = buildResultModal(record(), result({ text }), { permalink: PERMALINK, now: NOW });
      expect(view.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.viewBlocks);
      expect(blockKitErrors(view)).toEqual([]);
      const last = view.blocks.slice(-2);
      expect(last[0]).toMatchObject({ type: 'section', text: { text: REST } });
      expect(last[1]).toMatchObject({ type: 'actions', elements: [{ url: PERMALINK }] });
    }
  });

  it('lets no hostile question, answer or model name ping, link or inject markup', () => {
    const r = record({ title: HOSTILE });
    const answer = `${HOSTILE}\n\nSee [the fix](http://evil.example/steal) now. <!channel>\n\n${HOSTILE}`;
    const view = buildResultModal(r, result({ text: answer, model: HOSTILE }), {
      permalink: PERMALINK,
      now: NOW,
    });
    expect(dangerousStrings(view)).toEqual([]);
    expect(rawAnglesInMrkdwn(view, [`<#${CHANNEL}>`])).toEqual([]);
    expect(answerText(view)).toContain('the fix (http://evil.example/steal)');
    expect(view.blocks[0]).toMatchObject({ text: { type: 'plain_text' } });
  });

  it('keeps the Markdown of the answer readable as mrkdwn', () => {
    const text = '# Steps\n\n1. Run **make rotate**\n2. Check *the logs*\n\n```bash\nmake rotate\n```';
    const view = buildResultModal(record(), result({ text }), { now: NOW });
    expect(answerText(view)).toBe(
      '*Steps*\n\n1. Run *make rotate*\n2. Check _the logs_\n\n```\nmake rotate\n```',
    );
    // Our mrkdwn is not verbatim here, so the URLs the model wrote stay clickable.
    expect(answerSections(view)[0]?.text).toMatchObject({ type: 'mrkdwn', verbatim: false });
  });

  it('says so when the answer is empty', () => {
    const view = buildResultModal(record(), result({ text: '  ' }), { now: NOW });
    expect(texts(view)).toContain('The answer was empty.');
    expect(blockKitErrors(view)).toEqual([]);
  });

  it('shows a placeholder for an empty question', () => {
    const view = buildResultModal(record({ title: ' ' }), result(), { now: NOW });
    expect(view.blocks[0]).toMatchObject({ text: { text: '❓ (no question text)' } });
  });
});

describe('resultMeta', () => {
  it('shows only what is known', () => {
    expect(
      resultMeta(
        result({
          model: undefined,
          promptTokens: undefined,
          completionTokens: undefined,
          ms: undefined,
          totalMs: undefined,
        }),
      ),
    ).toBe('');
    expect(
      resultMeta(
        result({ model: 'm', promptTokens: undefined, completionTokens: 12, ms: 500, totalMs: undefined }),
      ),
    ).toBe('m · 12 completion tokens · answered in 500 ms');
  });

  it('escapes a model name', () => {
    expect(resultMeta(result({ model: '<!here> *m*' }))).toContain(`@\u2060here \u2217m\u2217`);
  });
});
