import type { AcceptedRequest } from '../core/domain.js';
import type { RequestRecord, RequestResult, RequestState, Vote } from '../core/request-types.js';
import { currentTraceId } from '../core/tracing.js';

/** A record as the store creates it: the store sets the times, the unread mark and the feedback counts. */
export type NewRequestRecord = Omit<RequestRecord, 'createdAt' | 'updatedAt' | 'unread' | 'feedback'>;

/** The record hash's fields that count its answer's ratings (written only by the feedback store). */
export const FEEDBACK_COUNT_FIELDS: Readonly<Record<Vote, string>> = {
  positive: 'fbPositive',
  negative: 'fbNegative',
};

/** Title of a request on the Home tab: its first line, shortened. */
export const titleOf = (question: string) => {
  const line = question.split('\n').find((l) => l.trim()) ?? question;
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
};

/**
 * The record of a request that starts now, in the foreground or the queue: whose it is, where its
 * thread and badge are, its title, and how it stands.
 */
export const newRequestRecord = (
  of: {
    request: Pick<AcceptedRequest, 'id' | 'teamId' | 'userId' | 'channelId'>;
    threadTs: string;
    badgeTs: string;
    question: string;
  },
  status: Pick<NewRequestRecord, 'state' | 'path' | 'jobId' | 'position' | 'error'>,
  traceId = currentTraceId(),
): NewRequestRecord => ({
  id: of.request.id,
  teamId: of.request.teamId,
  userId: of.request.userId,
  channelId: of.request.channelId,
  threadTs: of.threadTs,
  badgeTs: of.badgeTs,
  title: titleOf(of.question),
  ...status,
  ...(traceId ? { traceId } : {}),
});

/** A finished answer as stored with its request (View result), from what the LLM call returned. */
export const toRequestResult = (
  answer: {
    text: string;
    model?: string;
    usage?: { promptTokens: number; completionTokens: number } | undefined;
    ms?: number;
  },
  done: { totalMs: number; ts?: string | undefined; files?: string[] | undefined },
): RequestResult => ({
  text: answer.text,
  ...(answer.model !== undefined ? { model: answer.model } : {}),
  ...(answer.usage
    ? { promptTokens: answer.usage.promptTokens, completionTokens: answer.usage.completionTokens }
    : {}),
  ...(answer.ms !== undefined ? { ms: answer.ms } : {}),
  totalMs: done.totalMs,
  finishedAt: Date.now(),
  ...(done.ts ? { ts: done.ts } : {}),
  ...(done.files?.length ? { files: done.files } : {}),
});

/** Fields of a record as stored in its Redis hash (strings only; absent optional fields are not written). */
export const toHash = (r: Partial<RequestRecord>): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(r)) {
    // The feedback counts are the feedback store's, counted in place (HINCRBY), never overwritten.
    if (v === undefined || k === 'feedback') continue;
    out[k] = typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
  }
  return out;
};

/** A record read back from its hash; undefined when the hash is gone (or not a record). */
export const fromHash = (h: Record<string, string>): RequestRecord | undefined => {
  if (!h.id || !h.userId || !h.teamId) return undefined;
  const positive = Number(h[FEEDBACK_COUNT_FIELDS.positive] ?? 0);
  const negative = Number(h[FEEDBACK_COUNT_FIELDS.negative] ?? 0);
  return {
    id: h.id,
    teamId: h.teamId,
    userId: h.userId,
    channelId: h.channelId ?? '',
    threadTs: h.threadTs ?? '',
    badgeTs: h.badgeTs ?? '',
    title: h.title ?? '',
    state: (h.state ?? 'answering') as RequestState,
    path: h.path === 'background' ? 'background' : 'foreground',
    ...(h.jobId ? { jobId: h.jobId } : {}),
    unread: h.unread === '1',
    ...(h.position ? { position: Number(h.position) } : {}),
    ...(h.error ? { error: h.error } : {}),
    ...(h.traceId ? { traceId: h.traceId } : {}),
    ...(positive > 0 || negative > 0 ? { feedback: { positive, negative } } : {}),
    createdAt: Number(h.createdAt ?? 0),
    updatedAt: Number(h.updatedAt ?? 0),
  };
};
