import type { JobsOptions, QueueBaseOptions } from 'bullmq';
import { z } from 'zod';
import type { AcceptedRequest, AskCommand, Priority, ShortcutUse } from '../core/domain.js';
import {
  actionJobSchema,
  budgetJobSchema,
  contextChangedJobSchema,
  feedbackJobSchema,
  homeOpenedJobSchema,
  messagesOpenedJobSchema,
  policyJobSchema,
  sessionStoppedJobSchema,
  teamUninstalledJobSchema,
} from './intake-jobs.js';

export type {
  ActionJob,
  BudgetJob,
  FeedbackJob,
  HomeOpenedJob,
  PolicyJob,
  SessionStoppedJob,
  TeamUninstalledJob,
} from './intake-jobs.js';

/**
 * The one typed registry of queues, job names, payload schemas and options. Workers parse
 * `job.data` with the schema again before using it: a job may have been written by an older or
 * newer version of the app.
 */

const askCommandSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('sessions') }),
  z.object({ action: z.literal('cancel') }),
  z.object({ action: z.literal('usage') }),
  z.object({ action: z.literal('ask'), question: z.string() }),
]) satisfies z.ZodType<AskCommand>;

const shortcutUseSchema = z.object({
  kind: z.enum(['ask', 'summarize', 'later']),
  messageTs: z.string().min(1),
  orderTs: z.string().min(1),
  excerpt: z.string().max(3000).optional(),
}) satisfies z.ZodType<ShortcutUse>;
/** A file shared with a request's message (what the context builder needs to read it). */
export const fileRefSchema = z.object({
  id: z.string().min(1).max(64),
  name: z.string().max(300),
  mimetype: z.string().max(200).optional(),
  filetype: z.string().max(64).optional(),
  size: z.number().int().min(0).optional(),
  url: z.string().max(2048).optional(),
  external: z.boolean().optional(),
});

export const acceptedRequestSchema = z.object({
  id: z.string().min(1),
  source: z.enum(['mention', 'thread_reply', 'dm', 'command', 'shortcut']),
  teamId: z.string().min(1),
  channelId: z.string().min(1),
  userId: z.string().min(1),
  text: z.string(),
  ts: z.string().optional(),
  threadTs: z.string().optional(),
  isDm: z.boolean(),
  responseUrl: z.string().optional(),
  command: askCommandSchema.optional(),
  shortcut: shortcutUseSchema.optional(),
  files: z.array(fileRefSchema).max(50).optional(),
  receivedAt: z.number(),
}) satisfies z.ZodType<AcceptedRequest>;

/** A request's answer settings, carried by its job (see `answerJobSchema.policy`). */
export const answerPolicySchema = z.object({
  model: z.string().min(1).max(100).optional(),
  systemPrompt: z.string().min(1).max(3000).optional(),
  private: z.boolean().optional(),
});
export type AnswerPolicy = z.infer<typeof answerPolicySchema>;

/** Background answer: the request, where its thread is, and why it was queued. */
export const answerJobSchema = z.object({
  request: acceptedRequestSchema,
  /** The session thread the answer goes to (known once the request was routed). */
  threadTs: z.string().min(1),
  /** Message that carries the badge (the user's message, or the /ask thread root). */
  badgeTs: z.string().min(1),
  priority: z.enum(['high', 'normal', 'low']),
  reason: z.enum(['later', 'long', 'overflow', 'retry']),
  question: z.string(),
  /** ts of the question's turn in the thread (the user's message or the /ask root). */
  questionTs: z.string().min(1),
  /** Read the thread from Slack rather than the cache (the bot does not see every message there). */
  freshHistory: z.boolean(),
  enqueuedAt: z.number(),
  /** 0 for the first run; n for the n-th "Retry" from the Home tab (a new job each time). */
  retry: z.number().int().min(0).default(0),
  /** The request's queued note, which its answer (or failure, or cancellation) replaces in place. */
  noteTs: z.string().min(1).optional(),
  /**
   * What the workspace's and channel's policy said when the request was admitted (core/policy.ts):
   * the model and system prompt of its LLM call, and whether the answer is private (ephemeral).
   * Absent (jobs of older versions): the built-in settings, in public.
   */
  policy: answerPolicySchema.optional(),
});
export type AnswerJob = z.infer<typeof answerJobSchema>;

/**
 * What every Queue and Worker is built with to carry a request's trace through Redis: bullmq-otel's
 * telemetry when tracing is on (the producer's context rides in the job's options), else nothing.
 */
export type QueueTracing = Pick<QueueBaseOptions, 'telemetry'>;

/** BullMQ priorities: 1 is the highest. Every job gets one (unprioritised jobs would jump the line). */
export const PRIORITY: Record<Priority, number> = { high: 1, normal: 5, low: 10 };

export const QUEUES = {
  /** Accepted Slack requests, written before the ack; the web role turns them into answers. */
  intake: {
    name: 'intake',
    job: 'request',
    schema: acceptedRequestSchema,
    /** Other kinds of intake work, by kind: the job name and its payload's schema. */
    homeOpened: { job: 'home_opened', schema: homeOpenedJobSchema },
    action: { job: 'action', schema: actionJobSchema },
    messagesOpened: { job: 'messages_opened', schema: messagesOpenedJobSchema },
    contextChanged: { job: 'context_changed', schema: contextChangedJobSchema },
    feedback: { job: 'feedback', schema: feedbackJobSchema },
    sessionStopped: { job: 'session_stopped', schema: sessionStoppedJobSchema },
    teamUninstalled: { job: 'team_uninstalled', schema: teamUninstalledJobSchema },
    policy: { job: 'policy', schema: policyJobSchema },
    budget: { job: 'budget', schema: budgetJobSchema },
  },
  /** Background answers, run by the worker role. */
  answers: {
    name: 'answers',
    job: 'answer',
    schema: answerJobSchema,
  },
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES]['name'];

/** Intake work besides a user's request. */
export type IntakeWorkKind =
  | 'homeOpened'
  | 'action'
  | 'messagesOpened'
  | 'contextChanged'
  | 'feedback'
  | 'sessionStopped'
  | 'teamUninstalled'
  | 'policy'
  | 'budget';
/**
 * Each kind's payload, from its schema: what the edge writes is the type the intake processor
 * parses back, so the producer and the consumer of a job name cannot drift apart.
 */
export type IntakeWork = { [K in IntakeWorkKind]: z.infer<(typeof QUEUES.intake)[K]['schema']> };

/** The request id doubles as BullMQ's job id: a second add of the same request is a no-op. */
export const intakeJobId = (id: string) => id.replace(/:/g, '_');

export const intakeJobOptions = (id: string): JobsOptions => ({
  jobId: intakeJobId(id),
  priority: PRIORITY.high,
  // An intake job is short: it hands the answer to the foreground or the queue. If it fails
  // (Slack or Redis hiccup), try again soon; the answer pipeline is idempotent per request.
  attempts: 3,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 3_600, count: 10_000 },
  removeOnFail: { age: 86_400 },
});

/** BullMQ job id of a request's background answer (per retry, so a retried request gets a new job). */
export const answerJobId = (requestId: string, retry = 0) =>
  `answer_${requestId.replace(/:/g, '_')}${retry ? `_r${retry}` : ''}`;

export const answerJobOptions = (
  requestId: string,
  priority: Priority,
  opts: { attempts: number; retentionSeconds: number; retry?: number },
): JobsOptions => ({
  jobId: answerJobId(requestId, opts.retry),
  priority: PRIORITY[priority],
  attempts: opts.attempts,
  backoff: { type: 'jittered' },
  removeOnComplete: { age: opts.retentionSeconds },
  removeOnFail: { age: opts.retentionSeconds },
});
