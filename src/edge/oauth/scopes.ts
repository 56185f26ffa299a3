/**
 * The bot scopes the install asks for: manifest.yml's `oauth_config.scopes.bot`, in its order.
 * test/edge/oauth/scopes.test.ts fails when the two differ, so the image needs no manifest file.
 */
export const BOT_SCOPES = [
  'app_mentions:read',
  'assistant:write',
  'channels:history',
  'groups:history',
  'im:history',
  'mpim:history',
  'channels:read',
  'groups:read',
  'im:read',
  'mpim:read',
  'im:write',
  'chat:write',
  'reactions:write',
  'reactions:read',
  'commands',
  'users:read',
  'usergroups:read',
  'files:write',
  'files:read',
] as const;
