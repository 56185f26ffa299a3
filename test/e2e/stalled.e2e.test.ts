import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import { createDriver } from '../../standins/driver/index.js';
import { startBot, stopAll, waitFor } from '../support/processes.js';
import {
  e2eEnv,
  emptyWorkDir,
  fileStandins,
  llmRequestsFor,
  SIGNING_SECRET,
  uniqueId,
  uniquePrefix,
  uniqueQuestion,
} from './helpers.js';

/**
 * The built bot, killed twice in the middle of the same request: BullMQ then fails the request's
 * job for stalling more than `maxStalledCount` (1) times, without running it again. The next
 * process must still end the request where the asker can see it.
 */

const { slack, openai } = await fileStandins();
const workDir = emptyWorkDir();

afterAll(stopAll);

describe('a request whose process is killed twice mid-answer', () => {
  it('is ended by the next process: the asker is told, and the record is failed', {
    timeout: 60_000,
  }, async () => {
    // One deployment: same Redis and prefix; a 1 s job lock, so stalls are seen within seconds.
    const prefix = uniquePrefix('stalled');
    const env = e2eEnv({
      slack,
      openai,
      redisUrl: inject('redisUrl'),
      prefix,
      extra: { JOB_LOCK_MS: '1000' },
    });
    const question = uniqueQuestion('never finished');
    // A slow model keeps the answer in flight when each process dies.
    openai.configure({ ttftMs: 20_000 });
    // /ask answers without a thread lock, so a re-run never waits for the dead process's lock.
    let bot = await startBot({ env, cwd: workDir });
    const sent = await createDriver({ url: bot.url, signingSecret: SIGNING_SECRET, slack }).command({
      text: question,
      user: uniqueId('U'),
      channel: uniqueId('C'),
    });
    for (let run = 1; run <= 2; run++) {
      await waitFor(() => llmRequestsFor(openai, question).length >= run, {
        timeoutMs: 20_000,
        what: `LLM request ${run}`,
      });
      await bot.kill('SIGKILL');
      bot = await startBot({ env, cwd: workDir });
    }
    const told = await slack.waitFor(
      () =>
        slack.responses(sent.responseId).find((r) => JSON.stringify(r.body).includes('interrupted twice')),
      20_000,
      'the stalled-out note',
    );
    expect(told.body.response_type).toBe('ephemeral');
    expect(llmRequestsFor(openai, question)).toHaveLength(2);
    expect(bot.logs().some((l) => l.msg === 'request abandoned after stalling too often')).toBe(true);
    const redis = new Redis(inject('redisUrl'));
    onTestFinished(() => redis.disconnect());
    expect(await redis.hget(`${prefix}:req:${slack.teamId}:cmd:${sent.triggerId}`, 'state')).toBe('failed');
  });
});
