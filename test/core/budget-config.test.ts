import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/core/config.js';

const base = { SLACK_BOT_TOKEN: 'xoxb-123-secretvalue', SLACK_SIGNING_SECRET: 'shh-secret' };

describe('budget settings', () => {
  it('default to no limits and no prices', () => {
    expect(loadConfig(base).budgets).toEqual({ userDailyTokens: 0, teamDailyTokens: 0, prices: {} });
  });

  it('read the daily budgets and the price table', () => {
    const config = loadConfig({
      ...base,
      USER_DAILY_TOKENS: '50000',
      TEAM_DAILY_TOKENS: '1000000',
      LLM_PRICES: '{"gpt-4o-mini":{"input":0.15,"output":0.6}}',
    });
    expect(config.budgets).toEqual({
      userDailyTokens: 50_000,
      teamDailyTokens: 1_000_000,
      prices: { 'gpt-4o-mini': { input: 0.15, output: 0.6 } },
    });
  });

  it('name a malformed price table without echoing it', () => {
    for (const bad of ['{not json secret-1234', '{"m":{"input":-1,"output":1}}', '{"m":{"in":1}}']) {
      try {
        loadConfig({ ...base, LLM_PRICES: bad });
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        expect((err as ConfigError).problems).toEqual([expect.stringMatching(/^LLM_PRICES: must be JSON/)]);
        expect((err as Error).message).not.toContain('1234');
      }
    }
  });
});
