import { describe, expect, it } from 'vitest';
import {
  formatText,
  type Names,
  renderBlocks,
  renderMessageBody,
} from '../../../standins/playground/blocks.js';

const names: Names = {
  users: { U0BOT: 'Backchannel', U0ALICE: 'Alice' },
  channels: { C0GENERAL: 'general' },
};

describe('the playground renders Block Kit', () => {
  it.each([
    ['markdown', { type: 'markdown', text: '**East** sold most' }, '<b>East</b> sold most'],
    ['header', { type: 'header', text: { type: 'plain_text', text: 'Your sessions' } }, 'Your sessions</h3>'],
    ['divider', { type: 'divider' }, '<hr'],
    [
      'section',
      { type: 'section', text: { type: 'mrkdwn', text: '*bold* and _it_' } },
      '<b>bold</b> and <i>it</i>',
    ],
    ['context', { type: 'context', elements: [{ type: 'mrkdwn', text: '<#C0GENERAL> · done' }] }, '#general'],
    [
      'rich_text',
      {
        type: 'rich_text',
        elements: [
          { type: 'rich_text_section', elements: [{ type: 'text', text: 'hi', style: { bold: true } }] },
        ],
      },
      '<b>hi</b>',
    ],
    [
      'table',
      {
        type: 'table',
        rows: [
          [
            { type: 'raw_text', text: 'region' },
            { type: 'raw_text', text: 'revenue' },
          ],
          [
            { type: 'raw_text', text: 'East' },
            { type: 'raw_text', text: '1,730' },
          ],
        ],
      },
      '<td>East</td><td>1,730</td>',
    ],
  ])('a %s block', (_type, block, expected) => {
    expect(renderBlocks([block], names)).toContain(expected);
  });

  it('renders buttons with their action id and value, so a click can carry them', () => {
    const html = renderBlocks(
      [
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              action_id: 'bc_view_result',
              value: 'T:C:1.2',
              text: { type: 'plain_text', text: 'View result' },
            },
          ],
        },
      ],
      names,
    );
    expect(html).toContain('data-action-id="bc_view_result" data-value="T:C:1.2"');
    expect(html).toContain('>View result</button>');
  });

  it("renders an answer's feedback buttons as 👍 and 👎 buttons with their values", () => {
    const html = renderBlocks(
      [
        {
          type: 'context_actions',
          elements: [
            {
              type: 'feedback_buttons',
              action_id: 'feedback_vote',
              positive_button: { text: { type: 'plain_text', text: '👍' }, value: 'positive' },
              negative_button: { text: { type: 'plain_text', text: '👎' }, value: 'negative' },
            },
          ],
        },
      ],
      names,
    );
    expect(html).toContain('data-action-id="feedback_vote" data-value="positive" data-feedback="true">👍');
    expect(html).toContain('data-action-id="feedback_vote" data-value="negative" data-feedback="true">👎');
  });

  it('shows an unknown block as a labelled placeholder instead of dropping it', () => {
    expect(renderBlocks([{ type: 'video', title: { type: 'plain_text', text: 'x' } }], names)).toBe(
      '<div class="bk-unknown" data-testid="unknown-block" data-type="video">[video block]</div>',
    );
  });

  it('escapes text, so a message cannot inject markup into the page', () => {
    const html = renderMessageBody({ text: '<script>alert(1)</script> <img src=x onerror=1>' }, names);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
  });

  it('shows mentions by name and Slack links as links', () => {
    expect(formatText('<@U0ALICE> see <https://example.com|the docs>', names)).toBe(
      '<span class="mention">@Alice</span> see <a href="https://example.com" target="_blank" rel="noreferrer">the docs</a>',
    );
  });

  it("shows a streamed answer's markdown text when the message has no text blocks", () => {
    const html = renderMessageBody({ text: 'A **backchannel** is', stream: 'streaming' }, names);
    expect(html).toBe('<div class="message-text" data-testid="message-text">A <b>backchannel</b> is</div>');
  });
});
