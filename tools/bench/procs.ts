import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OpenAIStandin } from '../../standins/llm/index.js';
import { BOT_ENTRY, type BotProcess, botEnv, type LogMatcher, startBot } from '../../standins/processes.js';
import type { ThrowawayRedis } from '../../standins/redis-server.js';
import type { SlackApiStandin } from '../../standins/slack/index.js';

/**
 * The child processes of one bench run: bot web and worker roles, the bare Bolt app and bare
 * BullMQ workers. Every child is started through the stand-ins' `startBot` (own process
 * group, logs captured, stopped by group) and its peak RSS (VmHWM) is read just before it stops.
 */

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const BARE_BOLT = path.join(HERE, 'bare-bolt.js');
export const BARE_BULLMQ = path.join(HERE, 'bare-bullmq.js');

export const SIGNING_SECRET = 'bench-signing-secret';

export type Label = 'all' | 'web' | 'worker' | 'bare-bolt' | 'bare-bullmq';

export interface Peak {
  label: Label;
  phase: string;
  kb: number;
}

/** Peak resident set (VmHWM) of a live process, in KiB; undefined once it is gone. */
export const vmHwmKb = (pid: number): number | undefined => {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
};

/** CPU time (user + system) a live process has used, in ms; undefined once it is gone. */
export const cpuMs = (pid: number): number | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name: state is field 3, utime 14, stime 15 (in clock ticks, 100/s on Linux).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
};

/** CPU used by a set of processes (and this one) between `start()` and `stop()`, in ms. */
export const cpuMeter = (pids: Record<string, number[]>) => {
  const read = () => {
    const out: Record<string, number> = {};
    for (const [name, list] of Object.entries(pids))
      out[name] = list.reduce((sum, pid) => sum + (cpuMs(pid) ?? 0), 0);
    const own = process.cpuUsage();
    out.bench = (own.user + own.system) / 1000;
    return out;
  };
  const before = read();
  return {
    stop: (): Record<string, number> => {
      const after = read();
      return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));
    },
  };
};

/** Resident set right now, in KiB. */
export const vmRssKb = (pid: number): number | undefined => {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The V8 flags the bot runs with (package.json's start/web/worker and the Dockerfile): young
 * generation semi-spaces of 4 MiB instead of Node 24's larger default, which held 100-200 MiB more
 * RSS at peak for no measurable speed. `BENCH_NODE_OPTIONS` overrides it, to compare.
 */
export const BOT_NODE_OPTIONS = process.env.BENCH_NODE_OPTIONS ?? '--max-semi-space-size=4';

export interface BenchContext {
  redis: ThrowawayRedis;
  slack: SlackApiStandin;
  openai: OpenAIStandin;
  logLevel: string;
}

export class Fleet {
  readonly peaks: Peak[] = [];
  /** RSS of each process once it was ready and idle, by kind, in KiB. */
  readonly idleRss: Record<string, number[]> = {};
  private readonly running = new Map<BotProcess, { label: Label; phase: string }>();
  /** No `.env` here: a developer's settings must not leak into the bench. */
  private readonly cwd = mkdtempSync(path.join(tmpdir(), 'backchannel-bench-'));
  private sampler: NodeJS.Timeout;

  constructor(private readonly ctx: BenchContext) {
    // VmHWM is already a peak; sampling only keeps it if a child dies before we read it.
    this.sampler = setInterval(() => this.sample(), 1000);
    this.sampler.unref();
  }

  /** The bot's settings for one deployment (its own key prefix on the shared Redis). */
  botEnv(prefix: string, extra: Record<string, string> = {}): Record<string, string | undefined> {
    return botEnv({
      slackApiUrl: this.ctx.slack.apiUrl,
      openaiBaseUrl: this.ctx.openai.baseUrl,
      redisUrl: this.ctx.redis.url,
      signingSecret: SIGNING_SECRET,
      logLevel: this.ctx.logLevel,
      extra: {
        REDIS_PREFIX: prefix,
        // The bench measures speed, not the per-user limits: many requests come from few users.
        USER_RATE_LIMIT_PER_MINUTE: '1000000',
        USER_MAX_QUEUED: '1000000',
        LLM_TIMEOUT_MS: '30000',
        NODE_OPTIONS: BOT_NODE_OPTIONS,
        // The stand-in enforces Slack's limits only where a section turns them on, and then that
        // section sets SLACK_BUDGET_SCALE=1; elsewhere the shared budget must not be what is measured.
        SLACK_BUDGET_SCALE: '1000',
        // Nor the LLM governor's per-minute budget (a section that measures it sets its own).
        LLM_MAX_RPM: '0',
        LLM_MAX_TPM: '0',
        ...extra,
      },
    });
  }

  async startBot(
    role: 'all' | 'web' | 'worker',
    phase: string,
    prefix: string,
    extra: Record<string, string> = {},
  ): Promise<BotProcess> {
    const proc = await startBot({
      entry: BOT_ENTRY,
      role,
      args: ['--role', role],
      env: this.botEnv(prefix, extra),
      cwd: this.cwd,
      ready: 'healthz',
      readyTimeoutMs: 30_000,
    });
    this.running.set(proc, { label: role, phase });
    this.noteIdleRss(role, proc.pid);
    return proc;
  }

  async startScript(
    label: 'bare-bolt' | 'bare-bullmq',
    phase: string,
    entry: string,
    env: Record<string, string>,
    ready: 'healthz' | LogMatcher,
  ): Promise<BotProcess> {
    const proc = await startBot({ entry, args: [], env, cwd: this.cwd, ready, readyTimeoutMs: 30_000 });
    this.running.set(proc, { label, phase });
    this.noteIdleRss(label, proc.pid);
    return proc;
  }

  private noteIdleRss(label: Label, pid: number): void {
    const rss = vmRssKb(pid);
    if (rss === undefined) return;
    const list = this.idleRss[label] ?? [];
    list.push(rss);
    this.idleRss[label] = list;
  }

  private sample(): void {
    for (const [proc, info] of this.running) this.record(proc, info);
  }

  private record(proc: BotProcess, info: { label: Label; phase: string }): void {
    const kb = vmHwmKb(proc.pid);
    if (kb === undefined) return;
    const seen = this.peaks.find((p) => p.label === info.label && p.phase === info.phase);
    if (seen) seen.kb = Math.max(seen.kb, kb);
    else this.peaks.push({ label: info.label, phase: info.phase, kb });
  }

  /** Reads the child's peak RSS, then stops it (SIGTERM, SIGKILL after 15 s). */
  async stop(proc: BotProcess): Promise<void> {
    const info = this.running.get(proc);
    if (info) this.record(proc, info);
    this.running.delete(proc);
    const exit = await proc.stop(15_000);
    if (exit.code !== 0 && exit.signal !== 'SIGTERM' && info)
      process.stderr.write(`bench: ${info.label} (${info.phase}) exited with ${exit.code ?? exit.signal}\n`);
  }

  async stopAll(): Promise<void> {
    await Promise.allSettled([...this.running.keys()].map((p) => this.stop(p)));
  }

  /** Highest peak of a kind of process, and the phase it happened in. */
  peak(label: Label): Peak | undefined {
    return this.peaks
      .filter((p) => p.label === label)
      .reduce<Peak | undefined>((a, b) => (a && a.kb >= b.kb ? a : b), undefined);
  }

  close(): void {
    clearInterval(this.sampler);
  }
}
