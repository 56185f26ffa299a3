import { randomBytes } from 'node:crypto';
import type { SlackStandinOptions } from './types.js';

/** Slack-shaped ids the stand-in and the driver make up. */

const tsToMicros = (ts: string): number => {
  const [s = '0', us = '0'] = ts.split('.');
  return Number(s) * 1e6 + Number(us.padEnd(6, '0').slice(0, 6));
};

export const compareTs = (a: string, b: string): number => tsToMicros(a) - tsToMicros(b);

/** Message timestamps: unique and increasing, from the clock (`1700000000.000123`). */
export class TsClock {
  private lastMicros = 0;

  next(): string {
    const micros = Math.max(Date.now() * 1000, this.lastMicros + 1);
    this.lastMicros = micros;
    return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  }

  /** Keeps later values above a ts chosen elsewhere. */
  saw(ts: string): void {
    this.lastMicros = Math.max(this.lastMicros, tsToMicros(ts));
  }
}

/** A trigger_id as Slack makes them. */
export const newTriggerId = (): string =>
  `${Date.now()}.${Math.floor(Math.random() * 1e10)}.${randomBytes(16).toString('hex')}`;

/** Who the bot is in the stand-in's workspace: the options, or Slack-shaped defaults. */
export class SlackIdentity {
  readonly botUserId: string;
  readonly botId: string;
  readonly appId: string;
  readonly teamId: string;
  readonly teamDomain: string;
  readonly botName: string;

  constructor(opts: SlackStandinOptions) {
    this.botUserId = opts.botUserId ?? 'U0BOT';
    this.botId = opts.botId ?? 'B0BOT';
    this.appId = opts.appId ?? 'A0APP';
    this.teamId = opts.teamId ?? 'T0TEAM';
    this.teamDomain = opts.teamDomain ?? 'backchannel-test';
    this.botName = opts.botName ?? 'backchannel';
  }
}
