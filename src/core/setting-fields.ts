import { z } from 'zod';

/** The zod field types settings are made of (config.ts and the *-settings.ts groups it spreads in). */

export const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);
export const str = (def: string) => z.string().min(1).default(def);
export const optionalStr = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
export const optionalUrl = optionalStr.pipe(z.url().optional());
export const bool = (def: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(def ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');
export const emoji = (def: string) =>
  z
    .string()
    .regex(/^[a-z0-9_+'-]+$/, 'must be an emoji name without colons, e.g. white_check_mark')
    .default(def);
