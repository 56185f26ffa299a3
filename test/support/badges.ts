import { loadConfig } from '../../src/core/config.js';

/** The default badge emoji (EMOJI_*), for a poster built without a whole config. */
export const defaultBadges = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: 'test' }).emoji;
