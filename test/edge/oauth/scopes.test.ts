import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BOT_SCOPES } from '../../../src/edge/oauth/scopes.js';

describe('the scopes an OAuth install asks for', () => {
  it('are manifest.yml’s bot scopes, in its order', () => {
    const manifest = parse(readFileSync(new URL('../../../manifest.yml', import.meta.url), 'utf8'));
    expect([...BOT_SCOPES]).toEqual(manifest.oauth_config.scopes.bot);
  });

  it('include the scopes of the governance calls: user groups for the policy, file uploads for the chart', () => {
    // usergroups.users.list (allowedUserGroups) and files.uploadV2 (the admins' usage chart) fail with
    // missing_scope without them; the Slack stand-in does not check scopes.
    expect(BOT_SCOPES).toEqual(expect.arrayContaining(['usergroups:read', 'files:write']));
  });

  it('come back to the manifest’s redirect URL, and the manifest subscribes to uninstalls', () => {
    const manifest = parse(readFileSync(new URL('../../../manifest.yml', import.meta.url), 'utf8'));
    const redirects: string[] = manifest.oauth_config.redirect_urls;
    expect(redirects.map((u) => new URL(u).pathname)).toEqual(['/slack/oauth_redirect']);
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(
      expect.arrayContaining(['app_uninstalled', 'tokens_revoked']),
    );
  });
});
