import { describe, expect, it } from 'vitest';
import { SUMMARY_QUESTION, shortcutQuestion, shortcutShown } from '../../src/answer/shortcut-request.js';
import { decodeAskMetadata, encodeAskMetadata } from '../../src/edge/shortcut-payloads.js';
import { askAboutModal, SHORTCUT_IDS } from '../../src/out/views/shortcut-modal.js';

const URL = 'https://hooks.slack.com/app/T0TEAM/1/abc';
const meta = { c: 'C0CHAN', m: '1700000000.000100', t: '1700000000.000001', r: URL };

describe('the Ask about this modal', () => {
  it('carries the message and its response_url to the submission, within 3,000 characters whatever the message', () => {
    for (const x of ['short', '"quoted" \\ and \n newlines'.repeat(200), '😀'.repeat(2_000)]) {
      const raw = encodeAskMetadata({ ...meta, x });
      expect(raw.length).toBeLessThanOrEqual(3_000);
      const back = decodeAskMetadata(raw);
      expect(back).toMatchObject(meta);
      expect(x.startsWith(back!.x.slice(0, 10))).toBe(true);
    }
  });

  it('refuses metadata it did not write', () => {
    expect(decodeAskMetadata('not json')).toBeUndefined();
    expect(decodeAskMetadata(JSON.stringify({ ...meta, c: 'C0:forged' }))).toBeUndefined();
    expect(decodeAskMetadata(JSON.stringify({ ...meta, r: 'ftp://example.com/x' }))).toBeUndefined();
  });

  it('quotes the message so it can neither mention nor link, and asks for a question', () => {
    const view = askAboutModal({
      authorId: 'U0ALICE',
      text: 'hey <!channel> see <https://evil.example|this>',
      privateMetadata: '{}',
    });
    const text = JSON.stringify(view.blocks);
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<https://evil.example');
    expect(text).toContain(SHORTCUT_IDS.questionInput);
    expect(view.callback_id).toBe(SHORTCUT_IDS.modal);
  });
});

describe('what a shortcut asks', () => {
  const use = { messageTs: '1.1', orderTs: '2.2' };
  it('asks the typed question about the quoted message, the message itself, or for a summary', () => {
    expect(shortcutQuestion({ text: 'why?' }, { ...use, kind: 'ask', excerpt: 'it broke\nagain' })).toBe(
      'why?\n\n(About this message in the thread: "it broke again")',
    );
    expect(shortcutQuestion({ text: ' the message ' }, { ...use, kind: 'later' })).toBe('the message');
    expect(shortcutQuestion({ text: '' }, { ...use, kind: 'summarize' })).toBe(SUMMARY_QUESTION);
  });

  it('shows in the thread who asked', () => {
    expect(shortcutShown('U1', { text: '' }, { ...use, kind: 'summarize' })).toContain(
      '<@U1> asked me to summarize',
    );
    expect(shortcutShown('U1', { text: 'a\nb' }, { ...use, kind: 'ask' })).toContain('>a\n>b');
  });
});
