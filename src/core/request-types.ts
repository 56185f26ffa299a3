/**
 * A user's request, as the sessions overview (App Home, `/ask sessions`) sees it. Plain data:
 * the store keeps it in Redis, the view builders render it.
 */
export type RequestState = 'answering' | 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface RequestRecord {
  id: string;
  teamId: string;
  userId: string;
  channelId: string;
  /** The session thread. */
  threadTs: string;
  /** The message that carries the badge (the user's message, or the /ask root). */
  badgeTs: string;
  /** First words of the question, as the user wrote them (unescaped). */
  title: string;
  state: RequestState;
  path: 'foreground' | 'background';
  /** BullMQ job id of a background request. */
  jobId?: string;
  /** Finished background result the requester has not seen yet. */
  unread: boolean;
  /** 1-based position in the queue while queued, when known. */
  position?: number;
  /** Short reason of a failure, safe to show the user. */
  error?: string;
  /** The OpenTelemetry trace the request was routed in (when tracing is on): find its spans by it. */
  traceId?: string;
  /** 👍/👎 on the request's answer (one per user; kept on the record so lists need no extra read). */
  feedback?: FeedbackCounts;
  createdAt: number;
  updatedAt: number;
}

/** A finished answer, stored apart from the record (records stay small; results can be long). */
export interface RequestResult {
  text: string;
  model?: string;
  promptTokens?: number;
  completionTokens?: number;
  /** LLM time, ms. */
  ms?: number;
  /** From enqueue (or acceptance) to the posted answer, ms. */
  totalMs?: number;
  finishedAt: number;
  /** ts of the first message of the posted answer. */
  ts?: string;
  /** Names of the shared files whose contents the answer was given. */
  files?: string[];
}

/** A rating of an answer: the feedback buttons under it. */
export type Vote = 'positive' | 'negative';

export interface FeedbackCounts {
  positive: number;
  negative: number;
}

/** What a rating's comment ("Tell us more") is cut to, in characters. */
export const COMMENT_MAX_CHARS = 1_000;

/** The ratings of one answer, one per user, and what they wrote with them ("Tell us more"). */
export interface FeedbackSummary extends FeedbackCounts {
  comments: { userId: string; vote: Vote; comment: string }[];
}
