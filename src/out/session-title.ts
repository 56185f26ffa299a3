import { neutralize } from './neutralize.js';

/** Slack caps a session title at 200 characters. */
export const SESSION_TITLE_MAX = 200;

const NEW_TOPIC = /^\s*new topic\s*:\s*/i;

/** The question after a leading "new topic:", when a message starts with one (and says more). */
export const newTopic = (question: string): string | undefined => {
  const m = NEW_TOPIC.exec(question);
  const rest = m ? question.slice(m[0].length).trim() : '';
  return rest === '' ? undefined : rest;
};

const oneLine = (s: string) => s.replace(/[\p{Cc}\p{Zl}\p{Zp}\s]+/gu, ' ').trim();

/**
 * A session's title from its question: one line, neither pinging anyone nor hiding a link
 * (neutralize.ts), at most SESSION_TITLE_MAX characters; a leading "new topic:" is left out.
 */
export const sessionTitle = (question: string): string => {
  const safe = oneLine(neutralize(oneLine(newTopic(question) ?? question)));
  const chars = Array.from(safe);
  if (chars.length === 0) return 'New question';
  if (chars.length <= SESSION_TITLE_MAX) return safe;
  return `${chars
    .slice(0, SESSION_TITLE_MAX - 1)
    .join('')
    .trimEnd()}…`;
};
