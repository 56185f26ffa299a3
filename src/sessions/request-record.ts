import type { AcceptedRequest } from '../core/domain.js';
import type { RequestRecord } from '../core/request-types.js';

/** A record as the store creates it: the store sets the times and the unread mark. */
export type NewRequestRecord = Omit<RequestRecord, 'createdAt' | 'updatedAt' | 'unread'>;

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
): NewRequestRecord => ({
  id: of.request.id,
  teamId: of.request.teamId,
  userId: of.request.userId,
  channelId: of.request.channelId,
  threadTs: of.threadTs,
  badgeTs: of.badgeTs,
  title: titleOf(of.question),
  ...status,
});
