import type { App } from '@slack/bolt';
import type { AcceptedRequest, AskCommand } from '../../../core/domain.js';
import { errorFields } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import type { Metrics } from '../../../core/metrics.js';
import { USAGE } from '../../../core/usage.js';
import type { Intake } from '../../../intake/intake.js';
import { COMMAND_UNREADABLE, slashCommandSchema } from '../../payloads.js';

/**
 * What `/ask` was asked to do, parsed here once: the request carries it on. `help me write a haiku`
 * is a question: only a lone `help` is help.
 */
export const parseAsk = (text: string): { action: 'help' } | AskCommand => {
  const trimmed = text.trim();
  const lower = trimmed.toLowerCase();
  if (trimmed === '' || lower === 'help') return { action: 'help' };
  if (lower === 'sessions') return { action: 'sessions' };
  if (lower === 'cancel') return { action: 'cancel' };
  if (lower === 'usage') return { action: 'usage' };
  if (lower === 'later') return { action: 'help' };
  return { action: 'ask', question: trimmed };
};

export const TRY_AGAIN =
  'Sorry, I could not take your request just now (my storage is unavailable). Please try again in a moment.';

export interface AskDeps {
  intake: Pick<Intake, 'accept'>;
  logger: Logger;
  metrics: Pick<Metrics, 'requests'>;
}

/**
 * `/ask`. Slack never redelivers slash commands, so when the durable write fails the user is
 * told at once, in the ack itself, to try again.
 */
export const registerAskCommand = (app: App, deps: AskDeps) => {
  app.command('/ask', async ({ command, ack }) => {
    const parsed = slashCommandSchema.safeParse(command);
    if (!parsed.success) {
      deps.logger.warn({ issues: parsed.error.issues.length }, 'malformed slash command');
      deps.metrics.requests.inc({ kind: 'command', outcome: 'rejected' });
      await ack({ ...COMMAND_UNREADABLE });
      return;
    }
    const cmd = parsed.data;
    const action = parseAsk(cmd.text);
    if (action.action === 'help') {
      deps.metrics.requests.inc({ kind: 'command', outcome: 'answered' });
      await ack({ response_type: 'ephemeral', text: USAGE });
      return;
    }
    const request: AcceptedRequest = {
      id: `${cmd.team_id}:cmd:${cmd.trigger_id}`,
      source: 'command',
      teamId: cmd.team_id,
      channelId: cmd.channel_id,
      userId: cmd.user_id,
      text: cmd.text.trim(),
      isDm: cmd.channel_id.startsWith('D'),
      responseUrl: cmd.response_url,
      command: action,
      receivedAt: Date.now(),
    };
    try {
      const result = await deps.intake.accept(request, `cmd:${request.id}`);
      deps.metrics.requests.inc({ kind: 'command', outcome: result });
      await ack();
    } catch (err) {
      deps.logger.error({ err: errorFields(err), requestId: request.id }, 'could not store slash command');
      deps.metrics.requests.inc({ kind: 'command', outcome: 'error' });
      await ack({ response_type: 'ephemeral', text: TRY_AGAIN });
    }
  });
};
