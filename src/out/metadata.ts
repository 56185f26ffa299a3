/**
 * The metadata the bot puts on its own messages (Slack's message metadata: an event type and a
 * payload, read back with `conversations.replies(include_all_metadata)`), so a thread read back
 * from Slack tells the bot's answers from its notes, and an /ask root (posted by the bot) from the
 * asker's words; and a re-run job finds what an earlier run of it posted.
 *
 * The wire format is what threads already in Slack carry: keep it as it is.
 */
const EVENT_TYPES = {
  /** The thread root the bot posts for `/ask`; payload `{ user, question, request_id }`. A user turn. */
  question: 'backchannel_question',
  /** An answer; payload `{ request_id, job_id? }`. */
  answer: 'backchannel_answer',
  /**
   * Status notes ("Queued…", errors), never sent to the model; payload `{ request_id, kind }`, or
   * `{ request_id, failed_job_id }` for the note that ends a background job as failed.
   */
  note: 'backchannel_note',
} as const;

/** What a status note is about. */
export type NoteKind = 'queued' | 'cancelled' | 'hint' | 'error' | 'rerun';

/** What one of the bot's messages is, as written on it. */
export type Mark =
  | { type: 'question'; requestId: string; userId: string; question: string }
  | { type: 'answer'; requestId: string; jobId?: string }
  | { type: 'note'; requestId: string; kind: NoteKind }
  /** The note a background job's final failure leaves: a re-run finds it and does not fail twice. */
  | { type: 'failure'; requestId: string; jobId: string };

/**
 * A mark read back from Slack: its type is certain; its payload fields are whatever the message
 * carries, so any of them may be missing.
 */
export type ReadMark =
  | { type: 'question'; requestId?: string; userId?: string; question?: string }
  | { type: 'answer'; requestId?: string; jobId?: string }
  | { type: 'note'; requestId?: string; kind?: string }
  | { type: 'failure'; requestId?: string; jobId: string };

/** Slack's message metadata, as the bot writes it (every payload value is a string). */
export interface MessageMetadata {
  event_type: string;
  event_payload: Record<string, string>;
}

export const toMetadata = (mark: Mark): MessageMetadata => {
  switch (mark.type) {
    case 'question':
      return {
        event_type: EVENT_TYPES.question,
        event_payload: { user: mark.userId, question: mark.question, request_id: mark.requestId },
      };
    case 'answer':
      return {
        event_type: EVENT_TYPES.answer,
        event_payload: { request_id: mark.requestId, ...(mark.jobId ? { job_id: mark.jobId } : {}) },
      };
    case 'note':
      return { event_type: EVENT_TYPES.note, event_payload: { request_id: mark.requestId, kind: mark.kind } };
    case 'failure':
      return {
        event_type: EVENT_TYPES.note,
        event_payload: { request_id: mark.requestId, failed_job_id: mark.jobId },
      };
  }
};

/** `{ [key]: v }` when `v` is a string, else nothing: a field the message lacks stays absent. */
const field = <K extends string>(key: K, v: unknown): { [P in K]?: string } =>
  typeof v === 'string' ? ({ [key]: v } as { [P in K]?: string }) : {};

/** The mark on a message read from Slack, or undefined for a message without one of ours. */
export const readMark = (metadata: unknown): ReadMark | undefined => {
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const { event_type: type, event_payload: raw } = metadata as {
    event_type?: unknown;
    event_payload?: unknown;
  };
  const p = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const requestId = field('requestId', p.request_id);
  switch (type) {
    case EVENT_TYPES.question:
      return { type: 'question', ...requestId, ...field('userId', p.user), ...field('question', p.question) };
    case EVENT_TYPES.answer:
      return { type: 'answer', ...requestId, ...field('jobId', p.job_id) };
    case EVENT_TYPES.note:
      return typeof p.failed_job_id === 'string'
        ? { type: 'failure', ...requestId, jobId: p.failed_job_id }
        : { type: 'note', ...requestId, ...field('kind', p.kind) };
    default:
      return undefined;
  }
};
