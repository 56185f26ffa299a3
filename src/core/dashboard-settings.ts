import { z } from 'zod';
import { bool, optionalStr } from './setting-fields.js';

/**
 * The queue dashboard on the web role: its settings, which config.ts parses with every other one,
 * and the config they make. Off unless asked for, and then never without a password.
 */

const DASHBOARD_MIN_PASSWORD = 12;

export const dashboardSettings = {
  QUEUE_DASHBOARD: bool(false),
  QUEUE_DASHBOARD_USER: z
    .string()
    .regex(/^[^:\s]{1,64}$/, 'must be 1-64 characters without colons or spaces')
    .default('admin'),
  QUEUE_DASHBOARD_PASSWORD: optionalStr,
  QUEUE_DASHBOARD_READ_ONLY: bool(true),
};

type DashboardEnv = z.output<z.ZodObject<typeof dashboardSettings>>;

/**
 * The dashboard lists every job (who asked, where) and, unless read-only, can retry or remove
 * them: it never runs without a password.
 */
export const refineDashboard = (env: DashboardEnv, ctx: z.RefinementCtx): void => {
  const password = env.QUEUE_DASHBOARD_PASSWORD;
  if (env.QUEUE_DASHBOARD && (password === undefined || password.length < DASHBOARD_MIN_PASSWORD)) {
    ctx.addIssue({
      code: 'custom',
      path: ['QUEUE_DASHBOARD_PASSWORD'],
      message: `required when QUEUE_DASHBOARD is on (at least ${DASHBOARD_MIN_PASSWORD} characters)`,
    });
  }
};

export const toDashboardConfig = (e: DashboardEnv) =>
  e.QUEUE_DASHBOARD && e.QUEUE_DASHBOARD_PASSWORD
    ? {
        enabled: true as const,
        user: e.QUEUE_DASHBOARD_USER,
        password: e.QUEUE_DASHBOARD_PASSWORD,
        readOnly: e.QUEUE_DASHBOARD_READ_ONLY,
      }
    : { enabled: false as const };
