import fc from 'fast-check';

/**
 * Hostile model output for the neutralisation tests, and the oracle that finds what would still be
 * live in Slack: a special mention, a plain broadcast word, a link whose target is hidden.
 */

const EVIL = 'https://evil.example';

/** Labels longer than any look-back a chunker might use (the review's split used 130). */
const longText = (ch: string) => fc.integer({ min: 100, max: 700 }).map((n) => ch.repeat(n));

const WHOLE = [
  '<!channel>',
  '<!CHANNEL>',
  '<!here|x>',
  '<!everyone>',
  '<!group>',
  '<!subteam^S1|@eng>',
  `<!date^1392734382^{date}^${EVIL}|d>`,
  '@channel',
  '@here',
  '@Everyone',
  '@@here',
  'ops@here.com',
  `[click here](${EVIL})`,
  `![img](${EVIL}/i.png)`,
  `[a [b](c)](${EVIL})`,
  `[t](${EVIL} "title")`,
  `[ref]: ${EVIL}`,
  '[ref]',
  `<${EVIL}|click here>`,
  '<www.evil.example|x>',
  `< ${EVIL}|x>`,
  '`code [a](b)`',
];

// Pieces that only become dangerous next to each other.
const PIECES = ['<', '<!', '!', 'chan', 'nel', 'channel', 'here', '>', '|', '@', '[', ']', '(', ')', ':'];
const FILLER = [' ', 'word', '\n', '\\', '`', 'a < b', EVIL, 'x'];

const fragment = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...WHOLE) },
  { weight: 4, arbitrary: fc.constantFrom(...PIECES) },
  { weight: 3, arbitrary: fc.constantFrom(...FILLER) },
  { weight: 1, arbitrary: longText('L').map((l) => `<!channel|${l}>`) },
  { weight: 1, arbitrary: longText('L').map((l) => `<!subteam^S1|${l}>`) },
  { weight: 1, arbitrary: longText('L').map((l) => `[${l}](${EVIL})`) },
  { weight: 1, arbitrary: longText('L').map((l) => `<${EVIL}|${l}>`) },
  { weight: 1, arbitrary: longText('p').map((p) => `<${EVIL}/${p}|x>`) },
  { weight: 1, arbitrary: longText(' ').map((s) => `<!here${s}>`) },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);

/** Hostile text without code fences (so every `](` is prose to the oracle). */
export const hostileText = (): fc.Arbitrary<string> =>
  fc.array(fragment, { maxLength: 30 }).map((parts) => parts.join(''));

const BLOCKS = [
  '\n```',
  '\n~~~~',
  '\n```\n',
  '\n```js\n',
  '\n   ```\n',
  '\n~~~\n',
  '\n<!--\n',
  '\n-->\n',
  '\n- ',
  '\n1. ',
  '\n\n',
  '<div>\n',
];

/** Hostile text with block structure too: fences, lists, raw HTML. */
export const hostileMarkdown = (): fc.Arbitrary<string> =>
  fc
    .array(
      fc.oneof({ weight: 5, arbitrary: fragment }, { weight: 1, arbitrary: fc.constantFrom(...BLOCKS) }),
      {
        maxLength: 40,
      },
    )
    .map((parts) => parts.join(''));

/** `text` cut at the given positions (taken modulo its length). */
export const splitAt = (text: string, cuts: number[]): string[] => {
  const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const pieces: string[] = [];
  let from = 0;
  for (const c of at) {
    pieces.push(text.slice(from, c));
    from = c;
  }
  pieces.push(text.slice(from));
  return pieces;
};

const LIVE: [string, RegExp][] = [
  ['special mention', /<!(?:channel|here|everyone|group|subteam|date)/gi],
  ['broadcast word', /(?<!\w)@(?:channel|here|everyone)(?!\w)/gi],
  ['Slack masked link', /<\s*(?:[a-z][a-z0-9+.-]*:|www\.|[\w-]+(?:\.[\w-]+)+(?=[/?#\s|]))[^<>|]*\|[^<>]*>/gi],
  ['Markdown link', /\]\(/g],
  ['reference definition', /\]:/g],
];

/**
 * What Slack could still read as a mention or a masked link in `text` (treated as prose all
 * through: fenced code is not exempt). Empty when nothing is live.
 */
export const liveSyntax = (text: string): string[] =>
  LIVE.flatMap(([what, re]) =>
    [...text.matchAll(re)].map((m) => `${what}: ${JSON.stringify(m[0].slice(0, 60))}`),
  );
