import { fail, required } from '../params.js';
import type { Handler } from './handler.js';

/** users.info: registered profiles, or a made-up one for any Slack-shaped id. */
export const userMethods: Record<string, Handler> = {
  'users.info': (p, { ws }) => {
    const id = required(p, 'user', 'user_not_found');
    const known = ws.users.get(id);
    if (known === null || !/^[UW][A-Z0-9]+$/.test(id)) throw fail('user_not_found');
    const isBot = id === ws.botUserId;
    const fallback = isBot ? ws.botName : `user-${id.toLowerCase()}`;
    const name = known?.name ?? fallback;
    const realName = known?.real_name ?? (isBot ? 'Backchannel' : `User ${id}`);
    const displayName = known?.display_name ?? fallback;
    return {
      user: {
        id,
        team_id: ws.teamId,
        name,
        real_name: realName,
        deleted: false,
        is_bot: known?.is_bot ?? isBot,
        is_app_user: false,
        is_admin: known?.is_admin ?? false,
        is_owner: known?.is_owner ?? false,
        is_primary_owner: false,
        tz: known?.tz ?? 'Europe/London',
        profile: {
          real_name: realName,
          real_name_normalized: realName,
          display_name: displayName,
          display_name_normalized: displayName,
          team: ws.teamId,
          ...(isBot ? { bot_id: ws.botId } : {}),
        },
      },
    };
  },
};
