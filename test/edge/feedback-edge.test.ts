import { describe, expect, it } from 'vitest';
import { FEEDBACK_IDS } from '../../src/out/views/feedback.js';
import { redisState, until } from '../support/redis-state.js';
import { pause, useStack } from '../support/stack.js';

const start = useStack();
const form = (payload: unknown) => new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
const FORM = { contentType: 'application/x-www-form-urlencoded' };

describe('feedback interactions the edge cannot read', () => {
  it('are acknowledged and ignored with a log line, never a 5xx, and store nothing', async () => {
    const s = await start();
    const db = redisState(s);
    const who = { user: { id: 'U1', team_id: s.slack.teamId }, team: { id: s.slack.teamId } };
    const action = {
      type: 'feedback_buttons',
      action_id: FEEDBACK_IDS.vote,
      value: 'positive',
      action_ts: '1.3',
    };
    const click = { type: 'block_actions', ...who, trigger_id: '1.2.abc', actions: [action] };
    const submission = (comment: string) => ({
      type: 'view_submission',
      ...who,
      view: {
        id: 'V1',
        callback_id: FEEDBACK_IDS.modal,
        private_metadata: `${s.slack.teamId}:C1:1.1`,
        state: {
          values: {
            [FEEDBACK_IDS.commentBlock]: {
              [FEEDBACK_IDS.commentInput]: { type: 'plain_text_input', value: comment },
            },
          },
        },
      },
    });
    const bodies = [
      // No message it was on.
      { ...click, container: { type: 'view', view_id: 'V1' } },
      // Not the feedback element.
      {
        ...click,
        container: { type: 'message', message_ts: '1.2', channel_id: 'C1' },
        actions: [{ ...action, type: 'button' }],
      },
      // A comment longer than Slack's text input allows.
      submission('x'.repeat(3_001)),
    ];
    for (const body of bodies) expect((await s.driver.send(form(body), FORM)).status).toBe(200);
    await until(
      async () => s.logs.filter((l) => /malformed feedback (click|comment) ignored/.test(l)).length === 3,
    );
    await pause(200);
    expect(await db.redis.keys(`${s.prefix}:req:*:feedback`)).toEqual([]);
    expect(s.slack.ephemerals()).toEqual([]);
  });
});
