import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTableStreamer } from '../../src/out/table-stream.js';

const TABLE = '| Name | Qty |\n|---|--:|\n| pen | 12 |\n| notebook | 3 |\n';
const MONO = '```\n| Name     | Qty |\n| -------- | --: |\n| pen      |  12 |\n| notebook |   3 |\n```\n';

/** Streams `pieces` through one streamer; returns what went out after each push, and at the end. */
const stream = (pieces: string[], max?: number) => {
  const s = createTableStreamer(max);
  const out = pieces.map((p) => s.push(p));
  return { out, end: s.end(), all: out.join('') };
};

describe('tables in a stream', () => {
  it('send text that is no table as it arrives', () => {
    const { out } = stream(['Hello ', 'world,\nsecond ', 'line']);
    expect(out).toEqual(['Hello ', 'world,\nsecond ', 'line']);
  });

  it('hold a table back until it ends, then send it once as aligned monospace', () => {
    const { out, end } = stream(['Stock:\n', TABLE.slice(0, 20), TABLE.slice(20), '\nThat is all.']);
    expect(out).toEqual(['Stock:\n', '', '', `${MONO}\nThat is all.`]);
    expect(end).toBe('');
  });

  it('send a table that ends the answer when the stream ends', () => {
    const { all, end } = stream(['Stock:\n', TABLE.trimEnd()]);
    expect(all).toBe('Stock:\n');
    expect(end).toBe(MONO);
  });

  it('send pipe lines that are no table (no delimiter row) as they were', () => {
    const text = '| just | pipes |\n| more | pipes |\nend';
    const { all, end } = stream([text]);
    expect(all + end).toBe(text);
  });

  it('leave a table inside a code block as it is', () => {
    const text = `\`\`\`\n${TABLE}\`\`\`\nafter`;
    expect(stream([text]).all).toBe(text);
  });

  it('send a long table in pieces, each under its header', () => {
    const rows = Array.from({ length: 6 }, (_, i) => `| r${i} | ${i} |\n`).join('');
    const { all, end } = stream([`| k | v |\n|---|---|\n${rows}`, 'done'], 30);
    const pieces = (all + end).split('```\n').filter((p) => p.startsWith('|'));
    expect(pieces.length).toBeGreaterThan(1);
    for (const p of pieces) expect(p.split('\n')[0]).toBe('| k   | v   |');
    expect(all + end).toMatch(/done$/);
  });

  it('come out the same however the text is cut into pieces', () => {
    const text = `Intro with | a pipe\n\n${TABLE}\n| x | y |\n|:-:|---|\n| 1 | 2 |\n\`\`\`\n| a | b |\n|---|---|\n\`\`\`\nend\n`;
    const whole = stream([text]);
    const expected = whole.all + whole.end;
    fc.assert(
      fc.property(fc.array(fc.nat(text.length), { maxLength: 12 }), (cuts) => {
        const at = [...new Set(cuts)].sort((a, b) => a - b);
        const pieces = [0, ...at].map((from, i) => text.slice(from, at[i] ?? text.length));
        const r = stream(pieces);
        expect(r.all + r.end).toBe(expected);
      }),
    );
  });
});
