import { randomBytes } from 'node:crypto';
import { fail } from './params.js';
import type { Params, SlackStandinOptions } from './types.js';
import { Workspace } from './workspace.js';

/** What a test grants: a workspace that installs the app, and how its bot looks there. */
export interface TeamGrant {
  teamId: string;
  teamName?: string;
  botUserId?: string;
  botId?: string;
  /** An org (Enterprise Grid) the workspace belongs to. */
  enterpriseId?: string;
  /** Who clicked "Allow" (authed_user.id). */
  userId?: string;
  /** Token rotation on: the bot token expires after this many seconds and comes with a refresh token. */
  rotation?: { expiresInSeconds: number };
}

/** A workspace's bot as the stand-in issued it. */
export interface IssuedBot {
  teamId: string;
  botToken: string;
  botUserId: string;
  botId: string;
  refreshToken?: string;
}

const rand = () => randomBytes(12).toString('hex');

/**
 * The workspaces beyond the default one, each its own Workspace (channels, messages, views) with its
 * own bot, reached by the tokens oauth.v2.access issued for it. Codes come from `grant()` (what
 * Slack hands the browser on "Allow"); each works once. With rotation, `grant_type=refresh_token`
 * issues a new token and refresh token (the old refresh token stops working).
 */
export class Teams {
  readonly byId = new Map<string, Workspace>();
  private readonly tokens = new Map<string, string>();
  private readonly revoked = new Set<string>();
  private readonly refreshTokens = new Map<string, TeamGrant>();
  private readonly codes = new Map<string, TeamGrant>();
  /** The latest bot issued per team. */
  readonly issued = new Map<string, IssuedBot>();

  constructor(private readonly base: SlackStandinOptions) {}

  clear(): void {
    this.byId.clear();
    this.tokens.clear();
    this.revoked.clear();
    this.refreshTokens.clear();
    this.codes.clear();
    this.issued.clear();
  }

  /** The workspace of a team, made on first use with the grant's identity. */
  ensure(g: TeamGrant): Workspace {
    let ws = this.byId.get(g.teamId);
    if (!ws) {
      ws = new Workspace({
        ...this.base,
        token: undefined,
        teamId: g.teamId,
        teamDomain: g.teamId.toLowerCase(),
        botUserId: g.botUserId ?? `U${g.teamId.slice(1)}BOT`,
        botId: g.botId ?? `B${g.teamId.slice(1)}BOT`,
      });
      this.byId.set(g.teamId, ws);
    }
    return ws;
  }

  grant(g: TeamGrant): string {
    this.ensure(g);
    const code = `code-${g.teamId}-${rand()}`;
    this.codes.set(code, g);
    return code;
  }

  /** undefined: not a token of these teams (the default workspace's, or unknown). */
  teamOf(token: string): string | undefined {
    return this.tokens.get(token);
  }

  isRevoked(token: string): boolean {
    return this.revoked.has(token);
  }

  /** Every token of the team stops working (`token_revoked`), as after an uninstall. */
  revoke(teamId: string): void {
    for (const [token, team] of this.tokens) if (team === teamId) this.revoked.add(token);
  }

  /** oauth.v2.access: a code for a new install, or a refresh token for a new bot token. */
  exchange(p: Params): Record<string, unknown> {
    const client = this.base.oauthClient;
    if (client && p.client_id !== client.id) throw fail('invalid_client_id');
    if (client && p.client_secret !== client.secret) throw fail('bad_client_secret');
    if (p.grant_type === 'refresh_token') {
      const g = this.refreshTokens.get(String(p.refresh_token));
      if (!g) throw fail('invalid_refresh_token');
      this.refreshTokens.delete(String(p.refresh_token));
      return this.issue(g, false);
    }
    const g = this.codes.get(String(p.code));
    if (!g) throw fail('invalid_code');
    this.codes.delete(String(p.code));
    return this.issue(g, true);
  }

  private issue(g: TeamGrant, install: boolean): Record<string, unknown> {
    const ws = this.ensure(g);
    const rotation = g.rotation;
    const botToken = rotation ? `xoxe.xoxb-1-${rand()}` : `xoxb-${g.teamId}-${rand()}`;
    const refreshToken = rotation ? `xoxe-1-${rand()}` : undefined;
    this.tokens.set(botToken, g.teamId);
    if (refreshToken) this.refreshTokens.set(refreshToken, g);
    this.issued.set(g.teamId, {
      teamId: g.teamId,
      botToken,
      botUserId: ws.botUserId,
      botId: ws.botId,
      ...(refreshToken ? { refreshToken } : {}),
    });
    const rotating = rotation ? { refresh_token: refreshToken, expires_in: rotation.expiresInSeconds } : {};
    if (!install) return { token_type: 'bot', access_token: botToken, ...rotating };
    return {
      app_id: ws.appId,
      authed_user: { id: g.userId ?? 'U0INSTALLER' },
      scope: 'chat:write,commands',
      token_type: 'bot',
      access_token: botToken,
      bot_user_id: ws.botUserId,
      team: { id: g.teamId, name: g.teamName ?? g.teamId },
      enterprise: g.enterpriseId ? { id: g.enterpriseId, name: g.enterpriseId } : null,
      is_enterprise_install: false,
      ...rotating,
    };
  }
}
