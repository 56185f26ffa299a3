import type { RequestRecord, RequestResult } from '../../../src/core/request-types.js';

/** Fixed clock for the view tests: 2024-05-01T12:00:00Z. */
export const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);
export const CHANNEL = 'C0123ABC';

let seq = 0;

/** A request record with sensible defaults: a done, read, background request one minute old. */
export const record = (over: Partial<RequestRecord> = {}): RequestRecord => {
  seq += 1;
  const ts = `${1714564800 + seq}.000100`;
  return {
    id: `T0001:${over.channelId ?? CHANNEL}:${ts}`,
    teamId: 'T0001',
    userId: 'U0USER',
    channelId: CHANNEL,
    threadTs: ts,
    badgeTs: ts,
    title: 'How do I rotate the staging keys?',
    state: 'done',
    path: 'background',
    unread: false,
    createdAt: NOW - 120_000,
    updatedAt: NOW - 60_000,
    ...over,
  };
};

/** `n` sessions, one request each, the first the most recent; states cycle through all six. */
export const manySessions = (n: number): RequestRecord[] => {
  const states = ['answering', 'queued', 'running', 'done', 'failed', 'cancelled'] as const;
  return Array.from({ length: n }, (_, i) =>
    record({
      title: `Question number ${i}`,
      state: states[i % states.length],
      unread: i % 4 === 3,
      position: i % 6 === 1 ? i : undefined,
      error: i % 6 === 4 ? 'The model did not answer in time.' : undefined,
      updatedAt: NOW - i * 60_000,
    }),
  );
};

export const result = (over: Partial<RequestResult> = {}): RequestResult => ({
  text: 'The keys rotate with `make rotate-keys`.',
  model: 'gpt-4o-mini',
  promptTokens: 1204,
  completionTokens: 388,
  ms: 9_400,
  totalMs: 130_000,
  finishedAt: NOW - 180_000,
  ...over,
});

/** Titles and answers written to break out: mentions, links, formatting, broadcasts. */
export const HOSTILE = [
  '<!channel> urgent',
  '<!here|here> look',
  '<!everyone>',
  '<@U0ADMIN> please',
  '<@W0ADMIN|boss>',
  '<#C0999XYZ|general>',
  '<!subteam^S0123|@oncall>',
  '<http://evil.example|click me>',
  '<https://evil.example>',
  '<mailto:a@evil.example|mail>',
  '@here @channel @everyone',
  '*bold* _it_ ~strike~ `code` ```block```',
  '&lt;!channel&gt; &amp; & < >',
  '> quoted\n# heading\nline two',
].join(' ');
