import { randomUUID } from 'node:crypto';
import type { App, types } from '@slack/bolt';
import type { AcceptedRequest, ShortcutKind } from '../../../core/domain.js';
import { errorFields } from '../../../core/errors.js';
import type { Logger } from '../../../core/logger.js';
import type { Metrics } from '../../../core/metrics.js';
import type { Intake } from '../../../intake/intake.js';
import { stripMention } from '../../../out/message-text.js';
import type { Respond } from '../../../out/respond.js';
import { askAboutModal, SHORTCUT_IDS } from '../../../out/views/shortcut-modal.js';
import type { ThreadLocks } from '../../../sessions/thread-lock.js';
import { interactionTeam, slackId, triggerId, viewSubmissionSchema } from '../../payloads.js';
import {
  decodeAskMetadata,
  encodeAskMetadata,
  type MessageShortcut,
  messageShortcutSchema,
  tsNow,
} from '../../shortcut-payloads.js';

export interface ShortcutDeps {
  intake: Pick<Intake, 'accept'>;
  threadLocks: Pick<ThreadLocks, 'order'>;
  identity: { botUserId: string };
  logger: Logger;
  metrics: Pick<Metrics, 'requests'>;
  /** Opens a modal with a shortcut's trigger, in the request's workspace (views.open). */
  openModal: (triggerId: string, view: types.ModalView) => Promise<unknown>;
  /** The private way back to the user (the shortcut's response_url). */
  respond: Respond;
}

export const SHORTCUT_TRY_AGAIN =
  'Sorry, I could not take that just now (my storage is unavailable). Please use the shortcut again in a moment.';
export const MODAL_FAILED = 'Sorry, I could not open that just now. Please use the shortcut again.';

/**
 * Work that runs after the HTTP answer: in HTTP mode Bolt holds the ack until the listener returns
 * (`processBeforeResponse`), so what the listener awaits delays the ack. Not awaited, logged when
 * it fails; nothing in it is durable (the user can use the shortcut again).
 */
const afterAck = (log: Logger, what: string, work: () => Promise<unknown>): void => {
  void work().catch((err: unknown) => log.warn({ err: errorFields(err) }, `${what} failed`));
};

/**
 * The three message shortcuts. *Summarize thread* and *Answer in background* become requests
 * written before the ack, like a mention (the requester is who used the shortcut, not the message's
 * author). *Ask Backchannel about this* opens its modal; the submitted modal is the request.
 */
export const registerMessageShortcuts = (app: App, deps: ShortcutDeps) => {
  const log = deps.logger.child({ component: 'shortcuts' });

  const read = (body: unknown): { p: MessageShortcut; teamId: string } | undefined => {
    const parsed = messageShortcutSchema.safeParse(body);
    const teamId = parsed.success ? interactionTeam(parsed.data) : undefined;
    if (parsed.success && teamId) return { p: parsed.data, teamId };
    log.warn({ issues: parsed.error?.issues.map((i) => i.path.join('.')).slice(0, 5) }, 'malformed shortcut');
    deps.metrics.requests.inc({ kind: 'action', outcome: 'rejected' });
    return undefined;
  };

  /** Writes the request with its place in the thread's order; false when Redis could not take it. */
  const store = async (request: AcceptedRequest & { threadTs: string; shortcut: { orderTs: string } }) => {
    const thread = { teamId: request.teamId, channelId: request.channelId, threadTs: request.threadTs };
    try {
      const order = deps.threadLocks.order(thread, request.shortcut.orderTs);
      const result = await deps.intake.accept(request, `act:${request.id}`, order);
      deps.metrics.requests.inc({ kind: 'action', outcome: result });
      return true;
    } catch (err) {
      log.error({ err: errorFields(err), requestId: request.id }, 'could not store a shortcut');
      deps.metrics.requests.inc({ kind: 'action', outcome: 'error' });
      return false;
    }
  };

  const backgroundShortcut = (callbackId: string, kind: Exclude<ShortcutKind, 'ask'>) =>
    app.shortcut({ callback_id: callbackId, type: 'message_action' }, async ({ ack, body }) => {
      const r = read(body);
      if (!r) return ack();
      const { p, teamId } = r;
      const stored = await store({
        id: `${teamId}:sc:${p.trigger_id}`,
        source: 'shortcut',
        teamId,
        channelId: p.channel.id,
        userId: p.user.id,
        text: kind === 'later' ? stripMention(p.message.text ?? '', deps.identity.botUserId) : '',
        threadTs: p.message.thread_ts ?? p.message.ts,
        isDm: p.channel.id.startsWith('D'),
        responseUrl: p.response_url,
        shortcut: { kind, messageTs: p.message.ts, orderTs: p.action_ts },
        receivedAt: Date.now(),
      });
      await ack();
      // Slack never redelivers an interaction: the user is told to try again.
      if (!stored)
        afterAck(log, 'try-again note', () =>
          deps.respond(p.response_url, { response_type: 'ephemeral', text: SHORTCUT_TRY_AGAIN }),
        );
    });

  backgroundShortcut(SHORTCUT_IDS.summarize, 'summarize');
  backgroundShortcut(SHORTCUT_IDS.later, 'later');

  // The modal opens right after the ack, in this process: a trigger is good for 3 s from the click,
  // and a job could wait that long in a busy intake queue; before the ack, views.open's own round
  // trip would eat into the ack's 3 s. Nothing is stored for the click: the submission is the request.
  app.shortcut({ callback_id: SHORTCUT_IDS.ask, type: 'message_action' }, async ({ ack, body }) => {
    const r = read(body);
    await ack();
    if (!r) return;
    const { p } = r;
    const text = stripMention(p.message.text ?? '', deps.identity.botUserId);
    const view = askAboutModal({
      authorId: p.message.user,
      text,
      privateMetadata: encodeAskMetadata({
        c: p.channel.id,
        m: p.message.ts,
        t: p.message.thread_ts ?? p.message.ts,
        r: p.response_url,
        x: text,
      }),
    });
    afterAck(log, 'ask modal', async () => {
      try {
        await deps.openModal(p.trigger_id, view);
      } catch (err) {
        log.warn({ err: errorFields(err) }, 'ask modal could not be opened');
        await deps.respond(p.response_url, { response_type: 'ephemeral', text: MODAL_FAILED });
      }
    });
  });

  const submissionSchema = viewSubmissionSchema.extend({
    trigger_id: triggerId.optional(),
    view: viewSubmissionSchema.shape.view.extend({ id: slackId.optional() }),
  });

  app.view(SHORTCUT_IDS.modal, async ({ ack, body }) => {
    const parsed = submissionSchema.safeParse(body);
    const teamId = parsed.success ? interactionTeam(parsed.data) : undefined;
    const meta = parsed.success ? decodeAskMetadata(parsed.data.view.private_metadata) : undefined;
    if (!parsed.success || !teamId || !meta) {
      log.warn({ metadata: parsed.success && !meta }, 'malformed ask submission');
      deps.metrics.requests.inc({ kind: 'action', outcome: 'rejected' });
      return ack();
    }
    const { user, view } = parsed.data;
    const question =
      view.state.values[SHORTCUT_IDS.questionBlock]?.[SHORTCUT_IDS.questionInput]?.value?.trim() ?? '';
    if (!question)
      return ack({
        response_action: 'errors',
        errors: { [SHORTCUT_IDS.questionBlock]: 'Type a question first.' },
      });
    const stored = await store({
      // One request per modal: a modal is submitted once.
      id: `${teamId}:sc:${view.id ?? randomUUID()}`,
      source: 'shortcut',
      teamId,
      channelId: meta.c,
      userId: user.id,
      text: question,
      threadTs: meta.t,
      isDm: meta.c.startsWith('D'),
      responseUrl: meta.r,
      shortcut: { kind: 'ask', messageTs: meta.m, orderTs: tsNow(), ...(meta.x ? { excerpt: meta.x } : {}) },
      receivedAt: Date.now(),
    });
    if (stored) await ack();
    else
      await ack({
        response_action: 'errors',
        errors: { [SHORTCUT_IDS.questionBlock]: 'Sorry, that could not be sent just now. Please try again.' },
      });
  });
};
