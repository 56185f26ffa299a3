import { describe, expect, it } from 'vitest';
import { WORD_JOINER } from '../../../src/out/format.js';
import {
  answerToMrkdwnChunks,
  escapeMrkdwn,
  inlineMrkdwn,
  markdownToMrkdwn,
  mrkdwn,
  plainText,
  SLACK_LIMITS,
  safePlainText,
  safeUrl,
  truncate,
} from '../../../src/out/views/escape.js';
import { HOSTILE } from './fixtures.js';

const WJ = WORD_JOINER;
const CAN_PING_OR_LINK = /<[@#!]|<[a-z][a-z0-9+.-]*:|(^|[^\w@\u2060])@(channel|here|everyone)\b/i;

describe('escapeMrkdwn', () => {
  it("escapes Slack's three control characters, & first", () => {
    expect(escapeMrkdwn('a & b <c> &amp;')).toBe('a &amp; b &lt;c&gt; &amp;amp;');
  });
});

describe('truncate', () => {
  it('keeps short text and ends cut text with an ellipsis within the limit', () => {
    expect(truncate('short', 10)).toBe('short');
    expect(truncate('a'.repeat(20), 10)).toBe(`${'a'.repeat(9)}…`);
  });

  it('never splits a surrogate pair', () => {
    const cut = truncate('🙂'.repeat(10), 6);
    expect(cut).toBe('🙂🙂…');
    expect(cut.length).toBeLessThanOrEqual(6);
  });
});

describe('safePlainText', () => {
  it('breaks mentions, links and broadcasts but keeps the text readable', () => {
    const safe = safePlainText(HOSTILE, 3000);
    expect(safe).not.toMatch(CAN_PING_OR_LINK);
    expect(safe).toContain(`<${WJ}@U0ADMIN>`);
    expect(safe).toContain(`<${WJ}http://evil.example|click me>`);
    expect(safe).toContain(`@${WJ}channel urgent`);
    expect(safe).toContain(`@${WJ}oncall`);
    // plain_text is literal: no entities, formatting characters kept.
    expect(safe).toContain('*bold* _it_');
    expect(safe).toContain('& < >');
  });

  it('keeps harmless angle brackets and e-mail addresses', () => {
    expect(safePlainText('is a < b? x<y, mail ops@here.com', 100)).toBe('is a < b? x<y, mail ops@here.com');
  });

  it('folds whitespace to one line and truncates', () => {
    expect(safePlainText('  a\n\n b\t c ', 100)).toBe('a b c');
    expect(safePlainText('x'.repeat(200), 50)).toHaveLength(50);
    expect(safePlainText('a\nb', 100, { singleLine: false })).toBe('a\nb');
  });

  it('is idempotent', () => {
    const once = safePlainText(HOSTILE, 3000);
    expect(safePlainText(once, 3000)).toBe(once);
  });

  it('never builds an empty plain_text object', () => {
    expect(plainText('   ').text).toBe(' ');
  });
});

describe('inlineMrkdwn', () => {
  it('escapes, neutralises and replaces formatting characters by look-alikes', () => {
    const safe = inlineMrkdwn(HOSTILE);
    expect(safe).not.toMatch(CAN_PING_OR_LINK);
    expect(safe).not.toMatch(/[<>*_~`]/);
    expect(safe).toContain('\u2217bold\u2217 \u02cdit\u02cd \u223cstrike\u223c \u02cbcode\u02cb');
    expect(safe).toContain('&amp;lt;!channel&amp;gt;');
  });

  it('never cuts an entity when truncating', () => {
    const safe = inlineMrkdwn('&'.repeat(100), 23);
    expect(safe).toBe(`${'&amp;'.repeat(4)}…`);
    expect(inlineMrkdwn('a&b', 7)).toBe('a&amp;b');
  });
});

describe('mrkdwn', () => {
  it('is verbatim by default and never longer than 3,000 characters', () => {
    expect(mrkdwn('x')).toEqual({ type: 'mrkdwn', text: 'x', verbatim: true });
    expect(mrkdwn('x'.repeat(5000)).text.length).toBe(SLACK_LIMITS.textChars);
  });
});

describe('safeUrl', () => {
  it('accepts https links and refuses everything else', () => {
    expect(safeUrl('https://acme.slack.com/archives/C1/p1')).toBe('https://acme.slack.com/archives/C1/p1');
    for (const bad of [
      undefined,
      '',
      'http://acme.slack.com/',
      'javascript:alert(1)',
      'https://a.example/x|y',
      'https://a.example/<x>',
      'https://a.example/ x',
      'not a url',
      `https://a.example/${'a'.repeat(3000)}`,
    ]) {
      expect(safeUrl(bad)).toBeUndefined();
    }
  });
});

describe('markdownToMrkdwn', () => {
  it('turns standard Markdown emphasis into mrkdwn', () => {
    expect(markdownToMrkdwn('**bold**, __also__, *it*, _it_, ~~gone~~')).toBe(
      '*bold*, *also*, _it_, _it_, ~gone~',
    );
  });

  it('turns headings into bold lines and * bullets into •', () => {
    expect(markdownToMrkdwn('# Title\n## Sub **x** ##\n* one\n  - two\n+ three')).toBe(
      '*Title*\n*Sub x*\n• one\n  • two\n• three',
    );
  });

  it('unmasks links so the real address shows', () => {
    expect(
      markdownToMrkdwn(
        'see [the docs](https://evil.example/x) and [https://a.b](https://a.b) ![logo](https://i.example/l.png)',
      ),
    ).toBe('see the docs (https://evil.example/x) and https://a.b logo (https://i.example/l.png)');
  });

  it('leaves code alone and drops the language tag of fences', () => {
    const md = 'Run `**not bold**`:\n```ts\nconst a = 2 * 3 * 4; // **x**\n```\n~~~\nplain\n~~~';
    expect(markdownToMrkdwn(md)).toBe(
      'Run `**not bold**`:\n```\nconst a = 2 * 3 * 4; // **x**\n```\n```\nplain\n```',
    );
  });

  it('closes a fence the model left open and defuses ``` inside code', () => {
    expect(markdownToMrkdwn('~~~\na ``` b')).toBe('```\na ˋˋˋ b\n```');
  });

  it('keeps multiplication and snake_case as they are', () => {
    expect(markdownToMrkdwn('2 * 3 * 4 and snake_case_name')).toBe('2 * 3 * 4 and snake_case_name');
  });
});

describe('answerToMrkdwnChunks', () => {
  it('lets no mention, link or broadcast of the model through, and keeps the words', () => {
    const chunks = answerToMrkdwnChunks(HOSTILE);
    const text = chunks.join('');
    expect(text).not.toMatch(CAN_PING_OR_LINK);
    expect(text).not.toMatch(/[<>]/);
    expect(text).toContain('&lt;@U0ADMIN&gt; please');
    expect(text).toContain('&lt;http://evil.example|click me&gt;');
  });

  it('cuts every chunk within the limit, even when escaping makes text five times longer', () => {
    const chunks = answerToMrkdwnChunks('&'.repeat(20_000));
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(3000);
    expect(chunks.join('')).toBe('&amp;'.repeat(20_000));
  });

  it('closes and re-opens a code block split across chunks', () => {
    const code = Array.from({ length: 400 }, (_, i) => `line ${i} of the code`).join('\n');
    const chunks = answerToMrkdwnChunks(`Intro\n\n\`\`\`js\n${code}\n\`\`\`\nOutro`);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(3000);
      expect((c.match(/```/g) ?? []).length % 2).toBe(0);
    }
  });

  it('gives nothing for an empty answer', () => {
    expect(answerToMrkdwnChunks('')).toEqual([]);
    expect(answerToMrkdwnChunks('  \n ')).toEqual([]);
  });
});
