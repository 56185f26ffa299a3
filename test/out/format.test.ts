import { describe, expect, it } from 'vitest';
import {
  MARKDOWN_BLOCK_MAX_CHARS,
  neutralizeBroadcasts,
  openFenceAt,
  plainTextFallback,
  splitForMessages,
  takeFirstPart,
  toAnswerBlocks,
  WORD_JOINER,
} from '../../src/out/format.js';
import { liveSyntax } from './hostile.js';

const WJ = WORD_JOINER;

describe('neutralizeBroadcasts', () => {
  it('turns special mentions into text that pings nobody', () => {
    expect(neutralizeBroadcasts('hey <!channel> and <!here|here> and <!everyone>')).toBe(
      `hey @${WJ}channel and @${WJ}here and @${WJ}everyone`,
    );
  });

  it('keeps a user group label but drops the mention', () => {
    expect(neutralizeBroadcasts('ask <!subteam^S0123ABC|@platform> or <!subteam^S9>')).toBe(
      `ask @${WJ}platform or @${WJ}team`,
    );
  });

  it('breaks plain @channel, @here and @everyone words, any case', () => {
    expect(neutralizeBroadcasts('@here: ping @Channel (@everyone)')).toBe(
      `@${WJ}here: ping @${WJ}Channel (@${WJ}everyone)`,
    );
  });

  it('leaves e-mail addresses, user mentions and longer words alone', () => {
    const text = 'mail ops@here.com, ask <@U123>, see @heretic and <#C1|general>';
    expect(neutralizeBroadcasts(text)).toBe(text);
  });

  it('is idempotent', () => {
    const once = neutralizeBroadcasts('<!channel> @here <!subteam^S1|@eng>');
    expect(neutralizeBroadcasts(once)).toBe(once);
  });
});

describe('toAnswerBlocks', () => {
  it('wraps Markdown in a markdown block with a plain, escaped fallback', () => {
    const { text, blocks } = toAnswerBlocks('# Title\n\n**Bold** <!here> & [link](https://x.test) `a<b`');
    expect(blocks).toEqual([
      { type: 'markdown', text: `# Title\n\n**Bold** @${WJ}here & ${WJ}link (https://x.test) \`a<b\`` },
    ]);
    expect(text).toBe(`Title Bold @${WJ}here &amp; ${WJ}link (https://x.test) a&lt;b`);
  });

  it('refuses text longer than a markdown block takes', () => {
    expect(() => toAnswerBlocks('x'.repeat(MARKDOWN_BLOCK_MAX_CHARS + 1))).toThrow(RangeError);
  });

  it('keeps the fallback short', () => {
    expect(plainTextFallback('word '.repeat(200), 50).length).toBeLessThanOrEqual(51);
  });

  it('leaves no link syntax live when dropping code marks joins a bracket to a colon', () => {
    // Found by the poster's neutralisation property (fast-check): `[ref]`, a lone backtick, `:`.
    for (const md of ['[ref]`:', '[ref]`(x)', '[a]**:**'])
      expect(liveSyntax(plainTextFallback(md)), md).toEqual([]);
  });
});

describe('openFenceAt', () => {
  it('reports the fence left open', () => {
    expect(openFenceAt('text\n```ts\ncode')).toEqual({ opener: '```ts', closer: '```' });
    expect(openFenceAt('text\n````\ncode\n```\nmore')).toEqual({ opener: '````', closer: '````' });
    expect(openFenceAt('text\n```\ncode\n```\n')).toBeUndefined();
    expect(openFenceAt('~~~\na')).toEqual({ opener: '~~~', closer: '~~~' });
  });
});

const paragraphs = (n: number, words: number) =>
  Array.from({ length: n }, (_, i) =>
    Array.from({ length: words }, (_, j) => `word${i}x${j}`).join(' '),
  ).join('\n\n');

/** Replays the cuts splitForMessages makes and undoes the fence repairs, to recover the input. */
const rejoin = (text: string, maxChars: number): { original: string; heads: string[] } => {
  const heads: string[] = [];
  let original = '';
  let rest = text;
  let carried = 0;
  while (rest.length > maxChars) {
    const { head, tail, reopened, cut } = takeFirstPart(rest, maxChars, carried ? carried + 1 : 0);
    expect(head.startsWith(rest.slice(0, cut))).toBe(true);
    expect(tail).toBe(reopened + rest.slice(cut));
    heads.push(head);
    // A fence line re-opened at the start of `rest` is a repair, not input.
    original += rest.slice(carried, cut);
    rest = tail;
    carried = reopened.length;
  }
  heads.push(rest);
  return { original: original + rest.slice(carried), heads };
};

describe('splitForMessages', () => {
  it('keeps a short answer whole', () => {
    expect(splitForMessages('short', 100)).toEqual(['short']);
  });

  it('splits on paragraph boundaries and loses nothing', () => {
    const text = paragraphs(40, 30);
    const parts = splitForMessages(text, 1000);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(1000);
    expect(parts.join('')).toBe(text);
    for (const p of parts.slice(0, -1)) expect(p.endsWith('\n\n')).toBe(true);
  });

  it('never cuts inside a word', () => {
    const text = Array.from({ length: 500 }, (_, i) => `token${i}`).join(' ');
    const parts = splitForMessages(text, 700);
    expect(parts.join('')).toBe(text);
    for (const p of parts.slice(0, -1)) expect(p.endsWith(' ')).toBe(true);
  });

  it('moves a code block whole to the next message when it fits there', () => {
    const code = `\`\`\`js\n${'const a = 1;\n'.repeat(30)}\`\`\`\n`;
    const text = `${'intro words here. '.repeat(20)}\n\n${code}\nafter`;
    const parts = splitForMessages(text, code.length + 20);
    expect(parts.join('')).toBe(text);
    expect(parts.some((p) => p.includes(code))).toBe(true);
  });

  it('closes and re-opens a code block longer than a message', () => {
    const lines = Array.from({ length: 200 }, (_, i) => `line ${i} = compute(${i});`);
    const text = `Here:\n\n\`\`\`python\n${lines.join('\n')}\n\`\`\`\n\nDone.`;
    const parts = splitForMessages(text, 1000);
    expect(parts.length).toBeGreaterThan(3);
    for (const [i, p] of parts.entries()) {
      expect(p.length).toBeLessThanOrEqual(1000);
      // Every part is balanced Markdown on its own.
      expect(openFenceAt(p)).toBeUndefined();
      if (i > 0) expect(p.startsWith('```python\n')).toBe(true);
    }
    const { original, heads } = rejoin(text, 1000);
    expect(heads).toEqual(parts);
    expect(original).toBe(text);
  });

  it('hard-cuts only a single word longer than a message', () => {
    const text = `start ${'x'.repeat(2500)} end`;
    const parts = splitForMessages(text, 1000);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(1000);
    expect(parts.join('')).toBe(text);
  });

  it('respects a minimum cut for text already sent', () => {
    const text = paragraphs(10, 20);
    const { head } = takeFirstPart(text, 1500, 1400);
    expect(head.length).toBeGreaterThanOrEqual(1400);
    expect(head.length).toBeLessThanOrEqual(1500);
  });

  it('keeps every part within the limit on mixed Markdown, and replaying the cuts gives the input back', () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const blocks: string[] = [];
      for (let b = 0; b < 40; b++) {
        const kind = rand(6);
        if (kind === 0) blocks.push(`\`\`\`ts\n${'x = y + z\n'.repeat(1 + rand(80))}\`\`\``);
        else if (kind === 1) blocks.push(`~~~~\n${'a ```b``` c\n'.repeat(1 + rand(60))}~~~~`);
        else if (kind === 2) blocks.push(`- item ${'word '.repeat(rand(40))}\n- item two`);
        else if (kind === 3) blocks.push(`https://example.test/${'p'.repeat(rand(900))}`);
        else blocks.push('lorem ipsum '.repeat(1 + rand(120)).trim());
      }
      const text = blocks.join('\n\n');
      const max = 300 + rand(1500);
      const parts = splitForMessages(text, max);
      for (const p of parts) {
        expect(p.length).toBeLessThanOrEqual(max);
        expect(p.trim()).not.toBe('');
        expect(openFenceAt(p)).toBeUndefined();
      }
      const { heads, original } = rejoin(text, max);
      expect(heads.filter((h) => h.trim() !== '')).toEqual(parts);
      expect(original).toBe(text);
    }
  });
});
