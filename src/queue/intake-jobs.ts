import { z } from 'zod';

/**
 * Intake work besides a user's request: each kind's payload schema, which the registry
 * (registry.ts) names with its job in `QUEUES.intake`. The edge writes these; the intake processor
 * parses them back.
 */

/** The Home tab was opened: publish the user's sessions. */
export const homeOpenedJobSchema = z.object({
  teamId: z.string().min(1),
  userId: z.string().min(1),
});
export type HomeOpenedJob = z.infer<typeof homeOpenedJobSchema>;

/** What the user is looking at in Slack, as the edge read it from the event's context. */
const viewingSchema = z.object({ channelId: z.string().optional(), messageTs: z.string().optional() });

/** The Messages tab (the DM with the bot) was opened: greet (once a day) and offer prompts. */
export const messagesOpenedJobSchema = z.object({
  teamId: z.string().min(1),
  userId: z.string().min(1),
  /** The DM channel the tab shows. */
  channelId: z.string().min(1),
  /** The context the event carried, if any (else the latest one remembered). */
  viewing: viewingSchema.optional(),
});

/** `app_context_changed`: the user now views something else. Remembered only; never posted. */
export const contextChangedJobSchema = z.object({
  teamId: z.string().min(1),
  userId: z.string().min(1),
  viewing: viewingSchema.optional(),
});

/** A button on the Home tab or in `/ask sessions` was clicked. The value is data, never authority. */
export const actionJobSchema = z.object({
  teamId: z.string().min(1),
  userId: z.string().min(1),
  actionId: z.string().min(1),
  value: z.string().max(2000),
  triggerId: z.string().optional(),
  responseUrl: z.string().optional(),
  /** Where the button was: the Home tab, or a message (the ephemeral `/ask sessions` list). */
  container: z.enum(['view', 'message']),
});
export type ActionJob = z.infer<typeof actionJobSchema>;

/**
 * Feedback on an answer: a 👍/👎 click (on the message it is attached to: the message decides which
 * request it counts for, never the value), a "Tell us more" click (its trigger opens the modal), or
 * the modal's comment. Values and metadata are data to re-check, never authority.
 */
export const feedbackJobSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('vote'),
    teamId: z.string().min(1),
    userId: z.string().min(1),
    channelId: z.string().min(1),
    messageTs: z.string().min(1),
    value: z.string().max(2000),
  }),
  z.object({
    type: z.literal('more'),
    teamId: z.string().min(1),
    userId: z.string().min(1),
    value: z.string().max(2000),
    triggerId: z.string().optional(),
    responseUrl: z.string().optional(),
  }),
  z.object({
    type: z.literal('comment'),
    teamId: z.string().min(1),
    userId: z.string().min(1),
    /** The modal's `private_metadata`. */
    requestRef: z.string().max(3000),
    comment: z.string(),
  }),
]);
export type FeedbackJob = z.infer<typeof feedbackJobSchema>;

/**
 * An admin's "Set a user's budget" click (its trigger opens the modal), or the modal submitted.
 * Who may do it is re-checked after the ack; nothing here is authority.
 */
export const budgetJobSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('open'),
    teamId: z.string().min(1),
    userId: z.string().min(1),
    triggerId: z.string().optional(),
  }),
  z.object({
    type: z.literal('set'),
    teamId: z.string().min(1),
    userId: z.string().min(1),
    targetUserId: z.string().min(1).max(64),
    tokens: z.number().int().min(0),
  }),
]);
export type BudgetJob = z.infer<typeof budgetJobSchema>;

/**
 * Slack's stop button was clicked in a session thread (`agent_session_stopped`): who clicked, and
 * the app's streams there that Slack already stopped.
 */
export const sessionStoppedJobSchema = z.object({
  teamId: z.string().min(1),
  channelId: z.string().min(1),
  threadTs: z.string().min(1),
  userId: z.string().min(1),
  streamingTs: z.array(z.string()).max(50).default([]),
});
export type SessionStoppedJob = z.infer<typeof sessionStoppedJobSchema>;

/**
 * The app was uninstalled from a workspace, or its bot token revoked: its installation is already
 * gone (deleted before the ack); this purges its queued answers and data.
 */
export const teamUninstalledJobSchema = z.object({
  teamId: z.string().min(1),
  enterpriseId: z.string().min(1).optional(),
  reason: z.enum(['app_uninstalled', 'tokens_revoked']),
  /** 0: the purge at the uninstall; 1: the sweep after work still running then has ended. */
  sweep: z.number().int().min(0).max(1).default(0),
});
export type TeamUninstalledJob = z.infer<typeof teamUninstalledJobSchema>;

/**
 * The Admin section's policy edits: a button that opens the edit modal (its trigger), or the
 * modal submitted. Who may edit is checked after the ack (workspace admins and owners only); the
 * values are data to re-check, never authority.
 */
export const policyJobSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('open'),
    teamId: z.string().min(1),
    userId: z.string().min(1),
    /** A listed channel; absent with `pickChannel` false: the workspace's defaults. */
    channelId: z.string().min(1).max(30).optional(),
    pickChannel: z.boolean(),
    triggerId: z.string().optional(),
  }),
  z.object({
    type: z.literal('submit'),
    teamId: z.string().min(1),
    userId: z.string().min(1),
    /** The channel edited; absent: the workspace's defaults. */
    channelId: z.string().min(1).max(30).optional(),
    /** The modal's inputs, as chosen (`inherit`, or a value). */
    values: z.object({
      respond: z.string().max(30).optional(),
      model: z.string().max(100).optional(),
      systemPrompt: z.string().max(3000).optional(),
      background: z.string().max(30).optional(),
      private: z.string().max(30).optional(),
    }),
  }),
]);
export type PolicyJob = z.infer<typeof policyJobSchema>;
