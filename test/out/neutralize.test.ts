import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createNeutralizer, NEUTRALIZE_WINDOW, neutralize, WORD_JOINER } from '../../src/out/neutralize.js';
import { hostileMarkdown, hostileText, liveSyntax, splitAt } from './hostile.js';

const WJ = WORD_JOINER;

/** Feeds `text` to a stream neutraliser in the given pieces; returns what went out, and the most held. */
const streamed = (pieces: string[]): { out: string; maxHeld: number } => {
  const n = createNeutralizer();
  let out = '';
  let maxHeld = 0;
  for (const p of pieces) {
    out += n.push(p);
    maxHeld = Math.max(maxHeld, n.held);
  }
  return { out: out + n.end(), maxHeld };
};

describe('neutralize: special mentions', () => {
  it('turns special mentions into text that pings nobody', () => {
    expect(neutralize('hey <!channel> and <!here|here> and <!everyone>')).toBe(
      `hey @${WJ}channel and @${WJ}here and @${WJ}everyone`,
    );
  });

  it('keeps a user group label, and a date’s text, but drops the mention and the link', () => {
    expect(neutralize('ask <!subteam^S0123ABC|@platform> or <!subteam^S9>')).toBe(
      `ask @${WJ}platform or @${WJ}team`,
    );
    expect(neutralize('on <!date^1392734382^{date}^https://evil.example|Feb 18>')).toBe(`on ${WJ}Feb 18`);
  });

  it('breaks plain @channel, @here and @everyone words, any case', () => {
    expect(neutralize('@here: ping @Channel (@everyone) @@here')).toBe(
      `@${WJ}here: ping @${WJ}Channel (@${WJ}everyone) @@${WJ}here`,
    );
  });

  it('leaves e-mail addresses, user mentions, channel links and longer words alone', () => {
    const text = 'mail ops@here.com, ask <@U123>, see @heretic and <#C1|general>, <!DOCTYPE html>';
    expect(neutralize(text)).toBe(text);
  });

  it('breaks an opener left unclosed past the window, so no later `>` completes it', () => {
    const label = 'x'.repeat(NEUTRALIZE_WINDOW);
    const out = neutralize(`<!channel|${label}>`);
    expect(out).not.toContain('<!');
    expect(out.endsWith(`${label}>`)).toBe(true);
  });
});

describe('neutralize: links', () => {
  it('unmasks Markdown links and images so the target shows', () => {
    expect(
      neutralize('See [the docs](https://docs.example/a_(b)) and ![logo](https://img.example/l.png "Logo").'),
    ).toBe(`See ${WJ}the docs (https://docs.example/a_(b)) and ${WJ}logo (https://img.example/l.png).`);
    expect(neutralize('[https://a.example](https://a.example) [](https://b.example)')).toBe(
      `${WJ}https://a.example ${WJ}https://b.example`,
    );
  });

  it('unmasks Slack-style links', () => {
    expect(neutralize('<https://evil.example|click here> and <mailto:a@b.example|mail>')).toBe(
      `${WJ}click here (https://evil.example) and ${WJ}mail (mailto:a@b.example)`,
    );
  });

  it('breaks link syntax it cannot unmask: long labels, nesting, reference definitions', () => {
    const long = `[${'y'.repeat(NEUTRALIZE_WINDOW)}](https://evil.example)`;
    expect(neutralize(long)).toBe(long.replace('](', `]${WJ}(`));
    expect(neutralize('[a [b](c)](d)')).toBe(`[a ${WJ}b (c)]${WJ}(d)`);
    expect(neutralize('[click][1]\n\n[1]: https://evil.example')).toBe(
      `[click][1]\n\n[1]${WJ}: https://evil.example`,
    );
  });

  it('leaves fenced code alone, and only breaks link syntax inside inline code', () => {
    const code = '```py\nif x in a[i]:\n    handlers[k](x)  # [a](b)\n```\n';
    expect(neutralize(code)).toBe(code);
    expect(neutralize('call `handlers[k](x)` then [it](https://x.example)')).toBe(
      `call \`handlers[k]${WJ}(x)\` then ${WJ}it (https://x.example)`,
    );
  });

  it('does not trust a fence that a list item or an HTML block may have ended', () => {
    expect(liveSyntax(neutralize('1. step\n   ```\n[click](https://evil.example)\n'))).toEqual([]);
    expect(liveSyntax(neutralize('<!--\n\n```\n-->\n[click](https://evil.example)\n'))).toEqual([]);
  });

  it('leaves ordinary text and code as it is', () => {
    const text =
      'a < b, x > y, `Array<string|null>`, <https://plain.example>, <div class="x">, [1] ref, "quote" (paren) !';
    expect(neutralize(text)).toBe(text);
  });
});

describe('createNeutralizer', () => {
  it('holds back a piece that the next one may complete, and only that', () => {
    const n = createNeutralizer();
    expect(n.push('Attention <!chan')).toBe('Attention ');
    expect(n.push('nel> and @he')).toBe(`@${WJ}channel and `);
    expect(n.push('re, see [docs]')).toBe(`@${WJ}here, see `);
    expect(n.push('(https://d.example) ok')).toBe(`${WJ}docs (https://d.example) ok`);
    expect(n.end()).toBe('');
  });

  it('gives the whole text’s result for splits inside block syntax', () => {
    const cases: string[][] = [
      ['```', '`\n[a](b)\n```\n[c](d)\n````\n'],
      ['```\ncode\n`', '``\n[e](f)'],
      ['```j', 's `x` [a](b)\n[c](d)'],
      ['[a]', '(b) and ]', '(c) and \\', '[d](e)'],
      ['<', '!', 'here', '>'],
      ['`[a](b)', '`'],
    ];
    for (const pieces of cases) expect(streamed(pieces).out).toBe(neutralize(pieces.join('')));
  });

  it('decides a token as long as the window alike, streamed or whole', () => {
    for (let n = NEUTRALIZE_WINDOW - 30; n < NEUTRALIZE_WINDOW + 5; n++) {
      for (const text of [
        `\n\`\`\`[${'L'.repeat(n)}](https://evil.example)\n[a](b)`,
        `<https://evil.example|${'L'.repeat(n)}> [${'L'.repeat(n)}](https://x.example)`,
        `\`${'c'.repeat(n)}\` [a](b) @${'h'.repeat(n)}`,
      ]) {
        expect(streamed([...text]).out).toBe(neutralize(text));
      }
    }
  });
});

describe('neutralize: properties', () => {
  it('leaves no live mention or masked link in hostile text', () => {
    fc.assert(
      fc.property(hostileText(), (text) => {
        expect(liveSyntax(neutralize(text))).toEqual([]);
      }),
      { numRuns: 400 },
    );
  });

  it('streams in any pieces to exactly the whole text’s result, holding back at most the window', () => {
    fc.assert(
      fc.property(hostileMarkdown(), fc.array(fc.nat(), { maxLength: 12 }), (text, cuts) => {
        const { out, maxHeld } = streamed(splitAt(text, cuts));
        expect(out).toBe(neutralize(text));
        expect(maxHeld).toBeLessThanOrEqual(NEUTRALIZE_WINDOW);
      }),
      { numRuns: 400 },
    );
  });

  it('streams one character at a time to exactly the whole text’s result', () => {
    fc.assert(
      fc.property(hostileMarkdown(), (text) => {
        expect(streamed([...text]).out).toBe(neutralize(text));
      }),
      { numRuns: 300 },
    );
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(hostileMarkdown(), (text) => {
        const once = neutralize(text);
        expect(neutralize(once)).toBe(once);
      }),
      { numRuns: 300 },
    );
  });

  it('changes nothing in text without mention or link syntax', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'ab c\n`*_#-1.>()'.split('')) }), (text) => {
        expect(neutralize(text)).toBe(text);
      }),
    );
  });
});
