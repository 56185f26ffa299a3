import type { Handler } from './handler.js';

export const authMethods: Record<string, Handler> = {
  'api.test': (p) => ({ args: p }),

  'auth.test': (_p, { ws }) => ({
    url: `https://${ws.teamDomain}.slack.com/`,
    team: 'Backchannel Test',
    user: ws.botName,
    team_id: ws.teamId,
    user_id: ws.botUserId,
    bot_id: ws.botId,
    is_enterprise_install: false,
  }),
};
