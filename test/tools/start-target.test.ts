import { describe, expect, it } from 'vitest';
import { startTarget } from '../../tools/start-target.js';

describe('what npm start runs', () => {
  it('starts the playground when no Slack setting is present outside production', () => {
    expect(startTarget({ PATH: '/usr/bin', OPENAI_API_KEY: 'sk-x' })).toBe('playground');
    expect(startTarget({ NODE_ENV: 'development', SLACK_BOT_TOKEN: '' })).toBe('playground');
  });

  it('starts the bot when any Slack setting is present, so a partial one is still its error', () => {
    expect(startTarget({ SLACK_SIGNING_SECRET: 'x' })).toBe('bot');
    expect(startTarget({ SLACK_BOT_TOKEN: 'xoxb-1' })).toBe('bot');
  });

  it('never falls back to the playground in production', () => {
    expect(startTarget({ NODE_ENV: 'production' })).toBe('bot');
  });
});
