import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';

/**
 * manifest.yml is what a new user pastes into Slack: it must give them the Agent messaging
 * experience and subscribe to every event the bot handles. The limits are Slack's (app manifest
 * reference, and `@slack/web-api`'s Manifest types).
 */
const manifest = parse(readFileSync(new URL('../manifest.yml', import.meta.url), 'utf8'));

const prompt = z.object({ title: z.string().min(1), message: z.string().min(1) });
const shape = z.object({
  display_information: z.object({
    name: z.string().min(1).max(35),
    description: z.string().max(140),
    long_description: z.string().min(174).max(4000),
  }),
  features: z.object({
    app_home: z.object({
      home_tab_enabled: z.literal(true),
      messages_tab_enabled: z.literal(true),
      messages_tab_read_only_enabled: z.literal(false),
    }),
    agent_view: z.object({
      agent_description: z.string().min(1).max(300),
      suggested_prompts: z.array(prompt).min(3).max(4),
    }),
    slash_commands: z.array(z.object({ command: z.string(), url: z.url() })),
  }),
  oauth_config: z.object({ scopes: z.object({ bot: z.array(z.string()) }) }),
  settings: z.object({
    event_subscriptions: z.object({ request_url: z.url(), bot_events: z.array(z.string()) }),
    interactivity: z.object({ is_enabled: z.literal(true), request_url: z.url() }),
    socket_mode_enabled: z.boolean(),
  }),
});

describe('manifest.yml', () => {
  const m = shape.parse(manifest);

  it('declares the agent (agent_view with a description and three to four prompts), not the retired assistant_view', () => {
    expect(manifest.features.assistant_view).toBeUndefined();
    expect(m.features.agent_view.suggested_prompts.length).toBeGreaterThanOrEqual(3);
    const titles = m.features.agent_view.suggested_prompts.map((p) => p.title);
    expect(new Set(titles).size).toBe(titles.length);
  });

  it('subscribes to the events the agent experience needs, and not to the assistant ones it replaces', () => {
    const events = m.settings.event_subscriptions.bot_events;
    expect(events).toEqual(
      expect.arrayContaining([
        'agent_session_stopped',
        'app_context_changed',
        'app_home_opened',
        'app_mention',
        'message.im',
        'message.channels',
      ]),
    );
    // Slack's manifest editor refuses these for agent_view apps.
    expect(events).not.toContain('assistant_thread_started');
    expect(events).not.toContain('assistant_thread_context_changed');
  });

  it('asks for the scopes sessions and the agent need (chat:write, assistant:write)', () => {
    expect(m.oauth_config.scopes.bot).toEqual(
      expect.arrayContaining(['chat:write', 'assistant:write', 'im:history', 'reactions:write', 'commands']),
    );
  });

  it('works over HTTP with one endpoint, and in Socket Mode by flipping one switch', () => {
    const urls = [
      m.settings.event_subscriptions.request_url,
      m.settings.interactivity.request_url,
      ...m.features.slash_commands.map((c) => c.url),
    ];
    expect(new Set(urls.map((u) => new URL(u).pathname))).toEqual(new Set(['/slack/events']));
    expect(new Set(urls.map((u) => new URL(u).host)).size).toBe(1);
    // HTTP by default; Socket Mode ignores the URLs, so `socket_mode_enabled: true` is all it takes.
    expect(m.settings.socket_mode_enabled).toBe(false);
    expect(m.features.slash_commands.map((c) => c.command)).toEqual(['/ask']);
  });
});
