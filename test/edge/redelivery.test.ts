import { MultipleListenerError, UnknownError } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { wantsRedelivery } from '../../src/edge/app.js';

const redisDown = () => new AppError('redis_unavailable', 'could not store the request', { retryable: true });

describe('which listener errors Slack is asked to redeliver (a 5xx)', () => {
  it('only a request that was not stored because Redis is down', () => {
    expect(wantsRedelivery(redisDown())).toBe(true);
    expect(
      wantsRedelivery(
        new AppError('slack_api', 'Slack chat.postMessage failed: HTTP 503', { retryable: true }),
      ),
    ).toBe(false);
    expect(wantsRedelivery(new AppError('user_rate_limited', 'over the limit'))).toBe(false);
    expect(wantsRedelivery(new Error('Connection is closed.'))).toBe(false);
    expect(wantsRedelivery(undefined)).toBe(false);
  });

  it('finds it inside Bolt’s wrappers: one listener’s, or one of several', () => {
    expect(wantsRedelivery(new UnknownError(redisDown()))).toBe(true);
    expect(wantsRedelivery(new MultipleListenerError([new Error('other'), redisDown()]))).toBe(true);
    expect(wantsRedelivery(new MultipleListenerError([new Error('other')]))).toBe(false);
  });
});
