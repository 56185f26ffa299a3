import { z } from 'zod';

/**
 * Zod schemas for the Slack payloads we act on, parsed at the edge. Unknown fields pass through;
 * missing required ones make the payload "malformed" (logged, acknowledged, not processed).
 */

export const messageEventSchema = z.object({
  type: z.enum(['message', 'app_mention']),
  subtype: z.string().optional(),
  user: z.string().optional(),
  bot_id: z.string().optional(),
  text: z.string().optional(),
  ts: z.string(),
  thread_ts: z.string().optional(),
  channel: z.string(),
  channel_type: z.string().optional(),
  team: z.string().optional(),
});
export type MessageEvent = z.infer<typeof messageEventSchema>;

export const eventEnvelopeSchema = z.object({
  team_id: z.string(),
  event_id: z.string(),
});

export const slashCommandSchema = z.object({
  command: z.string(),
  text: z.string().default(''),
  user_id: z.string(),
  channel_id: z.string(),
  team_id: z.string(),
  trigger_id: z.string(),
  response_url: z.string().url(),
});
export type SlashCommand = z.infer<typeof slashCommandSchema>;

/** Subtypes that still carry a user's words. Everything else (joins, edits, deletions…) is ignored. */
export const TEXT_SUBTYPES = new Set<string | undefined>([undefined, 'thread_broadcast', 'file_share']);
