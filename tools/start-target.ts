/**
 * What `npm start` runs (scripts/start.mjs): the bot, or — outside production, with no Slack setting
 * at all — the playground, so the first command does something useful on a machine with no Slack
 * workspace. Any `SLACK_*` setting means "a real workspace": the bot starts, and a partial Slack
 * configuration is its usual error naming what is missing. In production it is always the bot.
 */
export type StartTarget = 'bot' | 'playground';

export const startTarget = (env: Record<string, string | undefined>): StartTarget => {
  if (env.NODE_ENV === 'production') return 'bot';
  const anySlack = Object.entries(env).some(
    ([key, value]) => key.startsWith('SLACK_') && value !== undefined && value !== '',
  );
  return anySlack ? 'bot' : 'playground';
};
