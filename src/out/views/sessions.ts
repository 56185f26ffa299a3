import type { FeedbackCounts, RequestRecord } from '../../core/request-types.js';

/**
 * A user's requests as sessions: one thread is one session, holding the user's requests in that
 * thread. Pure: records in, summaries out.
 */

export interface SessionSummary {
  /** `channelId:threadTs`; also a key of the permalinks map. */
  key: string;
  channelId: string;
  threadTs: string;
  /** The user's requests in this thread, newest activity first. */
  requests: RequestRecord[];
  /** The newest request: the row's title, state and age come from it. */
  latest: RequestRecord;
  /** The newest request whose result the user has not seen, if any (target of View result / Mark read). */
  unread?: RequestRecord;
  updatedAt: number;
}

export interface SessionCounts {
  unread: number;
  queued: number;
  running: number;
  failed: number;
}

export const sessionKey = (channelId: string, threadTs: string): string => `${channelId}:${threadTs}`;

const byNewest = (a: RequestRecord, b: RequestRecord): number =>
  b.updatedAt - a.updatedAt || b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/**
 * The user's requests grouped by thread (`channelId` + `threadTs`), newest activity first. A request
 * id seen twice keeps its most recently updated record.
 */
export const groupSessions = (records: readonly RequestRecord[]): SessionSummary[] => {
  const byId = new Map<string, RequestRecord>();
  for (const record of records) {
    const seen = byId.get(record.id);
    if (!seen || record.updatedAt > seen.updatedAt) byId.set(record.id, record);
  }
  const byThread = new Map<string, RequestRecord[]>();
  for (const record of byId.values()) {
    const key = sessionKey(record.channelId, record.threadTs);
    const list = byThread.get(key);
    if (list) list.push(record);
    else byThread.set(key, [record]);
  }
  const sessions: SessionSummary[] = [];
  for (const [key, requests] of byThread) {
    requests.sort(byNewest);
    const latest = requests[0];
    if (!latest) continue;
    const unread = requests.find((r) => r.unread);
    sessions.push({
      key,
      channelId: latest.channelId,
      threadTs: latest.threadTs,
      requests,
      latest,
      ...(unread ? { unread } : {}),
      updatedAt: latest.updatedAt,
    });
  }
  return sessions.sort((a, b) => b.updatedAt - a.updatedAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
};

/** Counts over all of the user's requests (not only the page shown). */
export const countRequests = (records: readonly RequestRecord[]): SessionCounts => {
  const counts: SessionCounts = { unread: 0, queued: 0, running: 0, failed: 0 };
  for (const r of records) {
    if (r.unread) counts.unread += 1;
    if (r.state === 'queued') counts.queued += 1;
    else if (r.state === 'running') counts.running += 1;
    else if (r.state === 'failed') counts.failed += 1;
  }
  return counts;
};

/** The ratings of all the session's answers, added up (the records carry them: no extra read). */
export const sessionFeedback = (session: Pick<SessionSummary, 'requests'>): FeedbackCounts => {
  const counts: FeedbackCounts = { positive: 0, negative: 0 };
  for (const r of session.requests) {
    counts.positive += r.feedback?.positive ?? 0;
    counts.negative += r.feedback?.negative ?? 0;
  }
  return counts;
};
