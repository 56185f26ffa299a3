import { dispositionOf } from '../core/disposition.js';
import type { ChatMessage, ThreadTarget } from '../core/domain.js';
import { errorFields, userMessageFor } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { stopOf } from '../core/stop.js';
import { type LlmClient, type LlmResult, partialTextOf } from '../llm/client.js';
import type { FinishOptions, SlackPoster, WrittenAnswer } from '../out/poster.js';

export interface ForegroundDeps {
  llm: Pick<LlmClient, 'stream'>;
  poster: Pick<SlackPoster, 'sessions' | 'startAnswer' | 'postEphemeral'>;
  logger: Logger;
}

export type ForegroundOutcome =
  | { ok: true; result: LlmResult; ts: string[] }
  /** `stoppedBy`: someone pressed Slack's stop button; the answer says so, and is no failure. */
  | { ok: false; error: unknown; ts: string[]; stoppedBy?: string };

/**
 * Streams one answer into its thread. The user sees the bot at work at once (its agent session
 * `processing`, with Slack's stop button; else the thread status or the answer's placeholder), then
 * the text as it comes. A failure always ends visibly: kept text is marked as cut off with a note,
 * and an answer with no text is replaced by the error. Either way the session ends `active`
 * (unless other work in the thread goes on: `opts.after`), moved by the answer's own closing
 * chat.stopStream where it ends as a stream (three Slack writes: setStatus, startStream,
 * stopStream; appends aside), else by one more setStatus.
 */
export const createForegroundAnswerer = (deps: ForegroundDeps) => ({
  async answer(
    target: ThreadTarget,
    messages: ChatMessage[],
    opts: {
      signal?: AbortSignal;
      /** The policy's model for this request; defaults to OPENAI_MODEL. */
      model?: string | undefined;
      title: string;
      /** The session's status once this answer ends (other work in the thread may go on); else `active`. */
      after?: () => Promise<'active' | 'suspended' | undefined>;
      /**
       * Told the moment the answer's messages are final, before the session is settled (which may
       * be one more Slack call): its feedback buttons show from here on.
       */
      written?: (written: WrittenAnswer) => Promise<void>;
    },
  ): Promise<ForegroundOutcome> {
    const work = await deps.poster.sessions.processing(target, {
      title: opts.title,
      initiator: target.userId,
      status: 'is thinking…',
    });
    // No session and no thread status? Then a placeholder shows we are at work.
    const writer = deps.poster.startAnswer(target, { placeholder: !work.shown });
    let next: { status: 'active' | 'suspended' | undefined } | undefined;
    let byStream = false;
    const nextStatus = async () => {
      next ??= { status: opts.after ? await opts.after() : 'active' };
      return next.status;
    };
    /** Ends the answer; its closing stream takes the session's next status along when it can. */
    const close = async (
      end: (extra: Pick<FinishOptions, 'sessionStatus'>) => Promise<WrittenAnswer>,
    ): Promise<WrittenAnswer> => {
      const status = await nextStatus();
      const written = await end(work.session && status ? { sessionStatus: status } : {});
      byStream = status !== undefined && written.sessionStatus === status;
      await opts.written?.(written);
      return written;
    };
    const finish = (how: FinishOptions) => close((extra) => writer.finish({ ...how, ...extra }));
    try {
      const result = await deps.llm.stream({
        messages,
        account: { teamId: target.teamId, userId: target.userId },
        onDelta: (delta) => writer.append(delta),
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.model ? { model: opts.model } : {}),
      });
      const note =
        result.finishReason === 'length'
          ? 'The answer reached its length limit. Ask me to continue if you need more.'
          : undefined;
      const { ts } = await finish(note ? { error: note } : {});
      return { ok: true, result, ts };
    } catch (error) {
      // A stop keeps what was shown and says who stopped it: no error, no cut-off note.
      const stopped = stopOf(opts.signal);
      if (stopped) {
        const { ts } = await finish({ stopped });
        return { ok: false, error, ts, stoppedBy: stopped.userId };
      }
      const message = userMessageFor(error);
      const partial = partialTextOf(error);
      // Whatever the disposition, the answer under way ends in its own message in the thread: its
      // placeholder or the text shown so far must not stand as if complete. A cancellation is no failure.
      const disposition = dispositionOf(error);
      if (disposition === 'ignore')
        deps.logger.info({ err: errorFields(error), disposition }, 'foreground answer cancelled');
      else deps.logger.warn({ err: errorFields(error), disposition }, 'foreground answer failed');
      const { ts } = partial
        ? await finish({ error: message, cutOff: true })
        : await close((extra) => writer.fail(message, extra));
      return { ok: false, error, ts };
    } finally {
      await work.end(await nextStatus(), { byStream });
    }
  },

  /**
   * A private answer (the policy's `private`): whole, as an ephemeral message to the requester in
   * the thread. Nothing public: no session status, no stream, no placeholder. A failure is told
   * privately the same way.
   */
  async answerPrivately(
    target: ThreadTarget,
    messages: ChatMessage[],
    opts: { signal?: AbortSignal; model?: string | undefined },
  ): Promise<ForegroundOutcome> {
    const tell = (text: string) =>
      deps.poster.postEphemeral(target.channelId, target.userId, text, { threadTs: target.threadTs });
    try {
      const result = await deps.llm.stream({
        messages,
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.model ? { model: opts.model } : {}),
      });
      await tell(result.text);
      return { ok: true, result, ts: [] };
    } catch (error) {
      const stopped = stopOf(opts.signal);
      if (stopped) return { ok: false, error, ts: [], stoppedBy: stopped.userId };
      deps.logger.warn({ err: errorFields(error) }, 'private answer failed');
      await tell(`⚠️ ${userMessageFor(error)}`).catch(() => undefined);
      return { ok: false, error, ts: [] };
    }
  },
});

export type ForegroundAnswerer = ReturnType<typeof createForegroundAnswerer>;
