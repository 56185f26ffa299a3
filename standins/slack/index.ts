import { type SyncProbe, Waiters } from '../http.js';
import type { AgentSession, SessionStatus, SessionsRefusal, SuggestedPrompts } from './agent-sessions.js';
import { FaultQueue } from './faults.js';
import type { FileDownload, UploadedFile } from './files.js';
import { SlackIdentity } from './ids.js';
import { RateLimits } from './rate-limits.js';
import { ResponseUrls } from './response-urls.js';
import { SlackApiServer } from './server.js';
import { type IssuedBot, type TeamGrant, Teams } from './teams.js';
import type {
  AssistantStatus,
  ChannelSettings,
  Ephemeral,
  RateLimitOptions,
  RecordedCall,
  ResponseUrlPost,
  SeedMessage,
  SlackFault,
  SlackStandinOptions,
  StoredMessage,
  StoredView,
  UserProfile,
} from './types.js';
import { Workspace } from './workspace.js';

export { listenOnLoopback } from '../http.js';
export type {
  AgentSession,
  SessionChange,
  SessionStatus,
  SessionsRefusal,
  SuggestedPrompts,
} from './agent-sessions.js';
export type { FileDownload, SharedFile, SharedFileSeed } from './files.js';
export { DEFAULT_RATE_LIMITS } from './rate-limits.js';
export { botReplies, feedbackButtonsOf, settled, shown, shownText } from './reading.js';
export type { IssuedBot, TeamGrant } from './teams.js';
export type * from './types.js';

/**
 * A stand-in for Slack's Web API on loopback. The bot reaches it through `SLACK_API_URL` (`apiUrl`
 * below), so `@slack/web-api` sends `POST /api/<method>` exactly as it would to slack.com.
 *
 * It keeps a per-channel message store, so `conversations.replies` returns the real thread and
 * `chat.update` / streams change what a later read sees; it answers with Slack's response shapes
 * and error codes, enforces Slack's size limits, and can rate limit (HTTP 429 + `Retry-After`)
 * and inject faults. Every call is recorded for assertions.
 */
export class SlackApiStandin extends SlackIdentity {
  private readonly ws: Workspace;
  private readonly waiters = new Waiters();
  private readonly faults = new FaultQueue();
  private readonly rateLimits = new RateLimits();
  private readonly responseUrls: ResponseUrls;
  private readonly server: SlackApiServer;
  /** Workspaces that installed the app through OAuth, each with its own bot and tokens. */
  private readonly teams: Teams;

  constructor(opts: SlackStandinOptions = {}) {
    super(opts);
    this.ws = new Workspace(opts);
    this.teams = new Teams(opts);
    this.responseUrls = new ResponseUrls(this.ws);
    this.server = new SlackApiServer({
      ws: this.ws,
      teams: this.teams,
      faults: this.faults,
      rateLimits: this.rateLimits,
      responseUrls: this.responseUrls,
      changed: () => this.waiters.notify(),
    });
    this.applyRateLimitOption();
  }

  async listen(): Promise<this> {
    await this.server.listen();
    return this;
  }

  /** Base URL, e.g. `http://127.0.0.1:54321`. */
  get url(): string {
    return this.server.url;
  }

  /** What to pass as `SLACK_API_URL` / `slackApiUrl` (with the trailing slash the WebClient needs). */
  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  /** Forgets every message, call, fault, view and setting made since start (constructor options stay). */
  reset(): void {
    this.ws.reset();
    this.teams.clear();
    this.server.clear();
    this.faults.clear();
    this.responseUrls.clear();
    this.rateLimits.set(false);
    this.applyRateLimitOption();
  }

  private applyRateLimitOption(): void {
    const rl = this.ws.opts.rateLimits;
    if (rl) this.setRateLimits(true, rl === true ? {} : rl);
  }

  // ----- control --------------------------------------------------------------------------

  /** Queues a fault for the next call(s) to `method` (`'*'` for any method). Faults apply in order. */
  failNext(method: string, fault: SlackFault = {}): void {
    this.faults.push(method, fault);
  }

  setRateLimits(on: boolean, opts: RateLimitOptions = {}): void {
    this.rateLimits.set(on, opts);
  }

  /** Makes chat.startStream refuse every call with `error` (default `feature_not_enabled`); `false` allows again. */
  refuseStreaming(error: string | false = 'feature_not_enabled'): void {
    this.ws.streamingRefusal = error === false ? undefined : error;
  }

  /**
   * A workspace without agent sessions: every `agents.sessions.*` call fails with `error` (the
   * feature off, the app not declared an agent, or a Slack without the methods); `false` allows again.
   */
  withoutSessions(error: SessionsRefusal | false = 'feature_not_enabled'): void {
    this.ws.agents.refusal = error === false ? undefined : error;
  }

  /** An app without the `agent_session_stopped` subscription: setStatus warns, as Slack does. */
  warnMissingStopSubscription(on = true): void {
    this.ws.agents.missingStopSubscription = on;
  }

  setChannel(id: string, settings: ChannelSettings): void {
    this.ws.setChannel(id, settings);
  }

  /** Sets a user group's members for usergroups.users.list. */
  setUsergroup(id: string, members: string[]): void {
    this.ws.usergroups.set(id, [...members]);
  }

  /** Registers a user for users.info; `null` makes the id unknown (`user_not_found`). */
  setUser(id: string, profile: UserProfile | null): void {
    this.ws.users.set(id, profile);
  }

  /** Ends a stream as Slack does when it expires: later appends/stops get `error`. */
  expireStream(channel: string, ts: string, error = 'message_not_in_streaming_state'): void {
    const rec = this.ws.store.find(channel, ts);
    if (!rec?.stream) throw new Error(`no stream ${channel}/${ts}`);
    rec.stream.state = 'expired';
    rec.stream.expiredError = error;
  }

  /**
   * Someone pressed the stop button of the thread's agent session. As Slack does before it sends
   * `agent_session_stopped`, the bot's streams still streaming there are stopped; their ts (the
   * event's `streaming_message_ts`) are returned.
   */
  stopSession(channel: string, threadTs: string): string[] {
    const stopped = this.ws.stopSessionStreams(channel, threadTs);
    this.waiters.notify();
    return stopped;
  }

  /** A fresh, unique, increasing message ts (`1700000000.000123`). */
  nextTs(): string {
    return this.ws.store.nextTs();
  }

  /**
   * Seeds a message (a user's, usually) so reads see it. `thread_ts` pointing at a reply is
   * normalised to the thread's root, as Slack does.
   */
  addMessage(m: SeedMessage): StoredMessage {
    const stored = this.ws.addMessage(m);
    this.waiters.notify();
    return stored;
  }

  /** Adds someone's reaction (the bot's go through reactions.add). */
  addReaction(channel: string, ts: string, name: string, user: string): void {
    const rec = this.ws.store.find(channel, ts);
    if (!rec) throw new Error(`no message ${channel}/${ts}`);
    this.ws.store.react(rec, name, user);
    this.waiters.notify();
  }

  /** A `response_url` pointing here, as Slack puts in slash commands and interactions. */
  mintResponseUrl(context: { channel?: string; user?: string } = {}): { id: string; url: string } {
    return this.responseUrls.mint(this.url, context);
  }

  /** A trigger_id that views.open accepts once, within 3 s. (Unknown trigger ids are accepted.) */
  mintTriggerId(): string {
    return this.ws.mintTriggerId();
  }

  // ----- OAuth: more workspaces ------------------------------------------------------------

  /**
   * A workspace's admin clicked "Allow": the code Slack puts in the redirect. oauth.v2.access trades
   * it, once, for a bot token of that workspace; every call with that token acts there.
   */
  oauthGrant(grant: TeamGrant): string {
    return this.teams.grant(grant);
  }

  /** The bot token (and refresh token) last issued to a workspace, if any. */
  issuedBot(teamId: string): IssuedBot | undefined {
    return this.teams.issued.get(teamId);
  }

  /** A workspace other than the default one (its channels, messages, views), made on first use. */
  team(teamId: string): Workspace {
    return this.teams.ensure({ teamId });
  }

  /** Every token issued to the workspace now answers `token_revoked` (the app was uninstalled). */
  revokeTeam(teamId: string): void {
    this.teams.revoke(teamId);
  }

  // ----- inspection -----------------------------------------------------------------------

  calls(method?: string): RecordedCall[] {
    const all = this.server.calls;
    return method ? all.filter((c) => c.method === method) : [...all];
  }

  /** How many 429s were sent (rate limits and injected faults), optionally for one method. */
  rateLimitedCount(method?: string): number {
    return this.calls(method).filter((c) => c.status === 429).length;
  }

  /**
   * Messages as they stand now, in ts order: the thread (root first) when `threadTs` is given,
   * otherwise every message in the channel, replies included.
   */
  messages(channel: string, threadTs?: string): StoredMessage[] {
    return this.ws.store.messages(channel, threadTs);
  }

  message(channel: string, ts: string): StoredMessage | undefined {
    return this.ws.store.view(channel, ts);
  }

  /** Names of the reactions on a message, by anyone. */
  reactions(channel: string, ts: string): string[] {
    return (this.ws.store.find(channel, ts)?.message.reactions ?? []).map((r) => r.name);
  }

  ephemerals(channel?: string): Ephemeral[] {
    return this.ws.ephemerals.filter((e) => channel === undefined || e.channel === channel);
  }

  /** The Home tab last published for a user. */
  /** Downloads of shared files (url_private_download), in order, in every workspace. */
  fileDownloads(): FileDownload[] {
    return [this.ws, ...this.teams.byId.values()].flatMap((w) => w.shared.downloads);
  }

  /** Files uploaded through files.uploadV2, in upload order. */
  files(): UploadedFile[] {
    return [...this.ws.files.files.values()];
  }

  homeView(userId: string): StoredView | undefined {
    return this.ws.homeViews.get(userId);
  }

  modal(viewId: string): StoredView | undefined {
    return this.ws.modalViews.get(viewId);
  }

  /** Every modal opened (views.open) and not since replaced, oldest first; `callbackId` picks one kind. */
  modals(callbackId?: string): StoredView[] {
    return [...this.ws.modalViews.values()].filter(
      (v) => callbackId === undefined || v.callback_id === callbackId,
    );
  }

  /** The thread's assistant status; cleared (undefined) once the bot posts in the thread. */
  assistantStatus(channel: string, threadTs: string): AssistantStatus | undefined {
    return this.ws.statuses.get(`${channel}/${threadTs}`);
  }

  /** The thread's agent session as Slack keeps it (status, title, initiator, every change), if any. */
  sessionStatus(channel: string, threadTs: string): AgentSession | undefined {
    const s = this.ws.agents.sessions.get(
      this.ws.agents.key(channel, this.ws.store.rootOf(channel, threadTs)),
    );
    return s ? structuredClone(s) : undefined;
  }

  /** The statuses the thread's session was set to, in order ([] when it has none). */
  sessionHistory(channel: string, threadTs: string): SessionStatus[] {
    return (this.sessionStatus(channel, threadTs)?.history ?? [])
      .filter((c) => c.kind === 'status')
      .map((c) => c.status);
  }

  /** The suggested prompts last set for a (DM) channel. */
  suggestedPrompts(channel: string): SuggestedPrompts | undefined {
    return this.ws.agents.prompts.get(channel);
  }

  /** Bodies posted to minted response URLs, optionally for one id. */
  responses(id?: string): ResponseUrlPost[] {
    return this.responseUrls.posts.filter((r) => id === undefined || r.id === id);
  }

  /**
   * Resolves with the probe's first truthy value, re-checked whenever a call finishes or a
   * message is added; rejects after `timeoutMs` naming what was awaited.
   */
  waitFor<T>(probe: SyncProbe<T>, timeoutMs = 5000, what = 'condition'): Promise<T> {
    return this.waiters.waitFor(
      probe,
      timeoutMs,
      () => `Slack stand-in: timed out after ${timeoutMs} ms waiting for ${what}`,
    );
  }

  /** The n-th (1-based) call to `method` matching `predicate`, once it has been answered. */
  waitForCall(
    method: string,
    predicate: (c: RecordedCall) => boolean = () => true,
    opts: { count?: number; timeoutMs?: number } = {},
  ): Promise<RecordedCall> {
    const count = opts.count ?? 1;
    return this.waitFor(
      () => this.calls(method).filter(predicate)[count - 1],
      opts.timeoutMs,
      `call #${count} to ${method}`,
    );
  }
}

/** Starts a Slack Web API stand-in on a free loopback port. */
export const startSlackApi = (opts: SlackStandinOptions = {}): Promise<SlackApiStandin> =>
  new SlackApiStandin(opts).listen();
