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
}
