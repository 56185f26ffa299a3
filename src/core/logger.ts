import pino from 'pino';
import { traceLogFields } from './tracing.js';

export type Logger = pino.Logger;

/**
 * Paths whose values are never written: tokens, secrets, and message text (Slack users' words
 * and LLM answers stay out of logs).
 */
export const REDACT_PATHS = [
  'token',
  'botToken',
  'appToken',
  'signingSecret',
  'apiKey',
  'password',
  'authorization',
  'headers.authorization',
  'headers["x-slack-signature"]',
  'text',
  'question',
  'answer',
  'content',
  '*.token',
  '*.botToken',
  '*.appToken',
  '*.signingSecret',
  '*.apiKey',
  '*.password',
  '*.authorization',
  '*.text',
  '*.question',
  '*.answer',
  '*.content',
  // OAuth: the app's secrets, and an installation's tokens (`installation.bot.token`, two levels down).
  'clientSecret',
  'stateSecret',
  'refreshToken',
  'accessToken',
  'encryptionKeys',
  '*.clientSecret',
  '*.stateSecret',
  '*.refreshToken',
  '*.accessToken',
  '*.encryptionKeys',
  '*.*.token',
  '*.*.refreshToken',
];

export const createLogger = (opts: { level: string; destination?: pino.DestinationStream }): Logger =>
  pino(
    {
      level: opts.level,
      base: { service: 'backchannel' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // Every line logged inside a traced request carries its trace and span ids (none when tracing is off).
      mixin: traceLogFields,
    },
    opts.destination,
  );
