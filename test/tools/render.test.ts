import { describe, expect, it } from 'vitest';
import {
  displayWidth,
  emoji,
  messageText,
  type Names,
  reactionsTag,
  renderThread,
  renderView,
  slackText,
  stripEmphasis,
  wrapLine,
} from '../../tools/render.js';

const names: Names = {
  users: { U0BOT: 'Backchannel', UALICE: 'Alice' },
  channels: { CGENERAL: 'general' },
};

describe('slackText', () => {
  it('shows mentions, channels and links as a reader sees them', () => {
    expect(slackText('<@U0BOT> hi <@UBOB|bob>, see <#CGENERAL> and <#CX|random>', names)).toBe(
      '@Backchannel hi @bob, see #general and #random',
    );
    expect(slackText('<https://example.com|the docs> or <https://x.org>', names)).toBe(
      'the docs or https://x.org',
    );
    expect(slackText('<!here> &lt;b&gt; &amp; :white_check_mark: :unknown_one:', names)).toBe(
      '@here <b> & ✅ :unknown_one:',
    );
  });

  it('drops the word joiner the bot puts into broadcasts', () => {
    expect(slackText('@\u2060channel', names)).toBe('@channel');
  });
});

describe('emoji', () => {
  it('names the badges by their emoji, and unknown ones by name', () => {
    expect(['hourglass_flowing_sand', 'white_check_mark', 'no_entry_sign', 'x'].map(emoji)).toEqual([
      '⏳',
      '✅',
      '🚫',
      '❌',
    ]);
    expect(emoji('party_parrot')).toBe(':party_parrot:');
    expect(
      reactionsTag([
        { name: 'white_check_mark', count: 1 },
        { name: 'eyes', count: 2 },
      ]),
    ).toBe('[✅ 👀 2]');
    expect(reactionsTag(undefined)).toBe('');
  });
});

describe('messageText', () => {
  it('reads the markdown blocks of a posted answer, not its short fallback text', () => {
    expect(
      messageText({
        text: 'A short fallback',
        blocks: [
          { type: 'markdown', text: 'The **whole** answer' },
          { type: 'markdown', text: 'continued' },
        ],
      }),
    ).toBe('The **whole** answer\ncontinued');
  });

  it('reads the text of a streamed message or a user message', () => {
    expect(messageText({ text: 'streamed text' })).toBe('streamed text');
    expect(messageText({ text: 'hi', blocks: [{ type: 'rich_text', elements: [] }] })).toBe('hi');
  });
});

describe('stripEmphasis', () => {
  it('keeps the words of bold and italic, and leaves snake_case and code alone', () => {
    expect(stripEmphasis('**Bold**, *bold*, _italic_ and snake_case_name `a*b*c`')).toBe(
      'Bold, bold, italic and snake_case_name `a*b*c`',
    );
  });
});

describe('width and wrapping', () => {
  it('counts emoji as two columns and joiners as none', () => {
    expect(displayWidth('abc')).toBe(3);
    expect(displayWidth('✅ ok')).toBe(5);
    expect(displayWidth('⚙️')).toBe(2);
    expect(displayWidth('a\u2060b')).toBe(2);
  });

  it('wraps at spaces, keeps indentation, and cuts a word longer than the line', () => {
    expect(wrapLine('one two three four five', 10)).toEqual(['one two', 'three four', 'five']);
    expect(wrapLine('  one two three four', 12)).toEqual(['  one two', '  three four']);
    expect(wrapLine('x'.repeat(25), 10)).toEqual(['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
  });
});

describe('renderThread', () => {
  const root = {
    ts: '1.000001',
    user: 'UALICE',
    text: '<@U0BOT> what is a backchannel?',
    reactions: [{ name: 'white_check_mark', count: 1 }],
  };
  const answer = {
    ts: '1.000002',
    user: 'U0BOT',
    bot_id: 'B0BOT',
    text: 'fallback',
    blocks: [{ type: 'markdown', text: 'A **side** conversation.' }],
  };
  const followUp = { ts: '1.000003', user: 'UALICE', text: 'and why would I use one?' };

  it('shows the thread in order, authors by name, reactions at the right of the first line', () => {
    const text = renderThread('CGENERAL', [root, answer, followUp], names, { width: 60 });
    expect(text.split('\n')).toEqual([
      '#general',
      `${'┌ Alice: @Backchannel what is a backchannel?'.padEnd(56)}[✅]`,
      '│ Backchannel: A side conversation.',
      '└ Alice: and why would I use one?',
    ]);
    // The reactions end where the line ends.
    expect(displayWidth(text.split('\n')[1] ?? '')).toBe(60);
  });

  it('shows the 👍/👎 buttons under an answer that carries them', () => {
    const rated = { ...answer, blocks: [...answer.blocks, { type: 'context_actions', elements: [] }] };
    expect(renderThread('CGENERAL', [root, rated, followUp], names, { width: 60 }).split('\n')).toEqual([
      '#general',
      `${'┌ Alice: @Backchannel what is a backchannel?'.padEnd(56)}[✅]`,
      '│ Backchannel: A side conversation.',
      '│   [👍] [👎]',
      '└ Alice: and why would I use one?',
    ]);
  });

  it('wraps long messages under their gutter and shows quotes with a bar', () => {
    const quoted = {
      ts: '2.000001',
      user: 'U0BOT',
      bot_id: 'B0BOT',
      text: '<@UALICE> asked:\n&gt;what makes a good standup update?',
    };
    const long = { ts: '2.000002', user: 'U0BOT', bot_id: 'B0BOT', text: 'word '.repeat(20).trim() };
    const lines = renderThread('CGENERAL', [quoted, long], names, { width: 40 }).split('\n');
    expect(lines.slice(0, 3)).toEqual([
      '#general',
      '┌ Backchannel: @Alice asked:',
      '│   ▌ what makes a good standup update?',
    ]);
    expect(lines[3]).toMatch(/^└ Backchannel: word/);
    expect(lines.slice(4).every((l) => l.startsWith('    word'))).toBe(true);
    expect(lines.every((l) => displayWidth(l) <= 40)).toBe(true);
  });

  it('marks a lone message with a plain rule', () => {
    expect(renderThread('CX', [followUp], names).split('\n')).toEqual([
      '#CX',
      '─ Alice: and why would I use one?',
    ]);
  });
});

describe('renderView', () => {
  const home = {
    type: 'home',
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: 'Your sessions' } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: '📬 *1* unread · ⏳ *0* queued' }] },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: '*DM me:* off' },
        accessory: { type: 'button', text: { type: 'plain_text', text: 'Turn on' }, action_id: 'x' },
      },
      { type: 'divider' },
      { type: 'section', text: { type: 'plain_text', text: '📬 what makes a good standup update?' } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: '<#CGENERAL> · ✅ Done · just now' }] },
      {
        type: 'actions',
        elements: [
          { type: 'button', text: { type: 'plain_text', text: 'Open thread' }, url: 'https://x' },
          { type: 'button', text: { type: 'plain_text', text: 'View result' }, value: 'T:cmd:1' },
        ],
      },
      { type: 'video', title: 'unknown to us' },
    ],
  };

  it('frames a Home tab: header, context lines, sections with their buttons, rules', () => {
    const lines = renderView(home, names, { width: 50 }).split('\n');
    const inside = lines.slice(1, -1).map((l) => l.slice(2, -2).trimEnd());
    expect(lines[0]).toMatch(/^╭─ Home ─+╮$/);
    expect(lines.at(-1)).toMatch(/^╰─+╯$/);
    expect(inside).toEqual([
      'Your sessions',
      '═════════════',
      '  📬 1 unread · ⏳ 0 queued',
      'DM me: off',
      '  [Turn on]',
      '─'.repeat(46),
      '📬 what makes a good standup update?',
      '  #general · ✅ Done · just now',
      '[Open thread] [View result]',
      '[video block]',
    ]);
    // Every line of the frame is as wide as the frame.
    expect(new Set(lines.map(displayWidth))).toEqual(new Set([50]));
  });

  it('titles a modal with its title and ends it with its close button', () => {
    const modal = {
      type: 'modal',
      title: { type: 'plain_text', text: 'Result' },
      close: { type: 'plain_text', text: 'Close' },
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'The answer, _in full_.' } }],
    };
    const lines = renderView(modal, names, { width: 40 }).split('\n');
    expect(lines[0]).toMatch(/^╭─ Result ─+╮$/);
    expect(lines.slice(1, -1).map((l) => l.slice(2, -2).trimEnd())).toEqual([
      'The answer, in full.',
      '',
      '[Close]',
    ]);
  });
});
