import { randomUUID } from 'node:crypto';
import type { App } from '@slack/bolt';
import { z } from 'zod';
import { SYSTEM_PROMPT_MAX } from '../../../core/policy.js';
import { POLICY_IDS as ID } from '../../../out/views/policy-admin.js';
import { type ClickDeps, readClick, storeClick } from '../actions/store-click.js';

const slackId = z.string().regex(/^[A-Z0-9]{2,30}$/);
const CHANNEL = /^[CGD][A-Z0-9]{1,29}$/;
const input = z.object({
  value: z.string().nullish(),
  selected_option: z.object({ value: z.string().max(150) }).nullish(),
  selected_conversation: z.string().max(30).nullish(),
});

/** The policy modal, submitted: who, which place (private_metadata) and its inputs. */
const policySubmissionSchema = z.object({
  type: z.literal('view_submission'),
  user: z.object({ id: slackId, team_id: slackId.nullish() }),
  team: z.object({ id: slackId }).nullish(),
  view: z.object({
    callback_id: z.literal(ID.modal),
    private_metadata: z.string().max(3000).default(''),
    state: z.object({ values: z.record(z.string().max(255), z.record(z.string().max(255), input)) }),
  }),
});
type Values = z.infer<typeof policySubmissionSchema>['view']['state']['values'];

const read = (values: Values, block: string, action: string): string | undefined => {
  const v = values[block]?.[action];
  return v?.selected_option?.value ?? v?.selected_conversation ?? v?.value ?? undefined;
};

/**
 * The Admin section's edit modal, submitted. Acked fast: a bad input is answered in the ack
 * (`response_action: errors`), anything else is written as intake work, whose handler checks that
 * the submitter is an admin and stores the change. When the write fails the modal stays open.
 */
export const registerPolicyEdit = (app: App, deps: ClickDeps) => {
  app.view(ID.modal, async ({ ack, body }) => {
    const got = readClick(deps, policySubmissionSchema, body, 'policy modal');
    if (!got) return ack();
    const { values } = got.p.view.state;
    const place = got.p.view.private_metadata;
    const channelId = place === 'channel' ? read(values, ID.channelBlock, ID.channelInput) : place;
    if (place === 'channel' && !channelId)
      return ack({ response_action: 'errors', errors: { [ID.channelBlock]: 'Pick a channel.' } });
    // private_metadata is ours, but comes back through the client: anything else than a place is dropped.
    if (channelId !== 'workspace' && !(channelId && CHANNEL.test(channelId))) {
      deps.logger.warn({}, 'policy modal for an unknown place ignored');
      return ack();
    }
    const prompt = read(values, ID.promptBlock, ID.promptInput) ?? '';
    if (prompt.length > SYSTEM_PROMPT_MAX)
      return ack({
        response_action: 'errors',
        errors: { [ID.promptBlock]: `At most ${SYSTEM_PROMPT_MAX} characters.` },
      });
    const opt = (k: string, v: string | undefined) => (v === undefined ? {} : { [k]: v });
    const stored = await storeClick(deps, 'policy', `${got.teamId}:pol:${got.p.user.id}:${randomUUID()}`, {
      type: 'submit',
      teamId: got.teamId,
      userId: got.p.user.id,
      ...(channelId && channelId !== 'workspace' ? { channelId } : {}),
      values: {
        ...opt('respond', read(values, ID.respondBlock, ID.respondInput)),
        ...opt('model', read(values, ID.modelBlock, ID.modelInput)),
        systemPrompt: prompt,
        ...opt('background', read(values, ID.backgroundBlock, ID.backgroundInput)),
        ...opt('private', read(values, ID.privateBlock, ID.privateInput)),
      },
    });
    if (stored) await ack();
    else
      await ack({
        response_action: 'errors',
        errors: { [ID.respondBlock]: 'Sorry, that could not be saved just now. Please try again.' },
      });
  });
};
