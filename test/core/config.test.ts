import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/core/config.js';

const base = { SLACK_BOT_TOKEN: 'xoxb-123-secretvalue', SLACK_SIGNING_SECRET: 'shh-secret' };

const problemsOf = (env: Record<string, string | undefined>) => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
  }
  throw new Error('expected a ConfigError');
};

describe('settings', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(base);
    expect(config.port).toBe(3000);
    expect(config.redis.url).toBeUndefined();
    expect(config.redis.defaultUrl).toBe('redis://127.0.0.1:6379');
    expect(config.slack.socketMode).toBe(false);
    expect(Object.isFrozen(config.slack)).toBe(true);
  });

  it('ignores the emoji settings nothing shows any more (EMOJI_SEEN, EMOJI_RUNNING)', () => {
    const config = loadConfig({ ...base, EMOJI_RUNNING: ':gear:', EMOJI_SEEN: 'eyes', EMOJI_DONE: 'tada' });
    expect(config.emoji).toEqual({
      queued: 'hourglass_flowing_sand',
      done: 'tada',
      failed: 'x',
      cancelled: 'no_entry_sign',
    });
  });

  it('names each missing or malformed setting on its own line', () => {
    const err = problemsOf({ PORT: 'eighty', REDIS_URL: 'not a url', MAX_ANSWER_TOKENS: '-5' });
    expect(err.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^SLACK_BOT_TOKEN: required/),
        expect.stringMatching(/^PORT: /),
        expect.stringMatching(/^REDIS_URL: /),
        expect.stringMatching(/^MAX_ANSWER_TOKENS: /),
      ]),
    );
  });

  it('calls an empty setting missing', () => {
    expect(problemsOf({ SLACK_BOT_TOKEN: '  ', SLACK_SIGNING_SECRET: 's' }).problems).toEqual([
      'SLACK_BOT_TOKEN: required',
    ]);
  });

  it('never echoes a value, even a malformed secret', () => {
    const err = problemsOf({
      SLACK_BOT_TOKEN: 'sk-looks-like-a-secret-9876',
      SLACK_APP_TOKEN: 'xoxb-not-an-app-token-5555',
    });
    expect(err.message).toContain('SLACK_BOT_TOKEN');
    expect(err.message).toContain('SLACK_APP_TOKEN');
    expect(err.message).not.toContain('9876');
    expect(err.message).not.toContain('5555');
  });

  it('needs a signing secret in HTTP mode but not in Socket Mode', () => {
    expect(problemsOf({ SLACK_BOT_TOKEN: 'xoxb-1' }).message).toContain('SLACK_SIGNING_SECRET');
    expect(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' }).slack.socketMode).toBe(true);
  });
});

describe('metrics settings', () => {
  it('leaves /metrics on PORT, open, by default', () => {
    expect(loadConfig(base).metrics).toEqual({ port: undefined, token: undefined });
  });

  it('reads METRICS_PORT and METRICS_TOKEN, and refuses a METRICS_PORT equal to PORT', () => {
    expect(loadConfig({ ...base, METRICS_PORT: '9100', METRICS_TOKEN: ' t0k ' }).metrics).toEqual({
      port: 9100,
      token: 't0k',
    });
    expect(problemsOf({ ...base, PORT: '9100', METRICS_PORT: '9100' }).problems).toEqual([
      'METRICS_PORT: must differ from PORT',
    ]);
    expect(problemsOf({ ...base, METRICS_PORT: 'ninety' }).problems[0]).toMatch(/^METRICS_PORT: /);
  });
});

describe('queue dashboard settings', () => {
  it('is off by default, and a password alone does not turn it on', () => {
    expect(loadConfig(base).dashboard).toEqual({ enabled: false });
    expect(loadConfig({ ...base, QUEUE_DASHBOARD_PASSWORD: 'long-enough-password' }).dashboard).toEqual({
      enabled: false,
    });
  });

  it('turns on with a password: user admin and read-only unless set', () => {
    expect(
      loadConfig({ ...base, QUEUE_DASHBOARD: '1', QUEUE_DASHBOARD_PASSWORD: 'long-enough-password' })
        .dashboard,
    ).toEqual({
      enabled: true,
      user: 'admin',
      password: 'long-enough-password',
      readOnly: true,
    });
    const writable = loadConfig({
      ...base,
      QUEUE_DASHBOARD: 'yes',
      QUEUE_DASHBOARD_USER: 'ops',
      QUEUE_DASHBOARD_PASSWORD: 'long-enough-password',
      QUEUE_DASHBOARD_READ_ONLY: 'false',
    }).dashboard;
    expect(writable).toMatchObject({ enabled: true, user: 'ops', readOnly: false });
  });

  it('refuses to turn on without a password, or with a short one, never echoing it', () => {
    expect(problemsOf({ ...base, QUEUE_DASHBOARD: 'true' }).problems).toEqual([
      'QUEUE_DASHBOARD_PASSWORD: required when QUEUE_DASHBOARD is on (at least 12 characters)',
    ]);
    const short = problemsOf({ ...base, QUEUE_DASHBOARD: 'true', QUEUE_DASHBOARD_PASSWORD: 'hunter2' });
    expect(short.problems).toEqual([expect.stringMatching(/^QUEUE_DASHBOARD_PASSWORD: required/)]);
    expect(short.message).not.toContain('hunter2');
  });

  it('refuses a user name basic auth cannot carry', () => {
    const err = problemsOf({ ...base, QUEUE_DASHBOARD_USER: 'a:b' });
    expect(err.problems).toEqual([expect.stringMatching(/^QUEUE_DASHBOARD_USER: must be/)]);
  });
});

describe('tracing settings', () => {
  it('leaves tracing off without an OTLP endpoint', () => {
    expect(loadConfig({ ...base, OTEL_SERVICE_NAME: 'bc-test' }).tracing).toEqual({
      url: undefined,
      headers: {},
      serviceName: 'bc-test',
      batchDelayMs: 5000,
      exportTimeoutMs: 10_000,
      sampleRatio: 1,
      parentBased: true,
    });
  });

  it('sends traces to the base endpoint’s /v1/traces, or to the traces endpoint as given', () => {
    const at = (env: Record<string, string>) => loadConfig({ ...base, ...env }).tracing.url;
    expect(at({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(
      'http://collector:4318/v1/traces',
    );
    expect(at({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/otlp/' })).toBe(
      'http://collector:4318/otlp/v1/traces',
    );
    expect(
      at({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://traces:9999/in',
      }),
    ).toBe('http://traces:9999/in');
    expect(
      at({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }),
    ).toBeUndefined();
  });

  it('keeps every trace by default, or the share OTEL_TRACES_SAMPLER and its argument say', () => {
    const sampling = (env: Record<string, string>) => {
      const { sampleRatio, parentBased } = loadConfig({ ...base, ...env }).tracing;
      return { sampleRatio, parentBased };
    };
    expect(sampling({})).toEqual({ sampleRatio: 1, parentBased: true });
    expect(
      sampling({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }),
    ).toEqual({ sampleRatio: 0.25, parentBased: true });
    expect(sampling({ OTEL_TRACES_SAMPLER: 'always_off', OTEL_TRACES_SAMPLER_ARG: '0.25' })).toEqual({
      sampleRatio: 0,
      parentBased: false,
    });
    expect(problemsOf({ ...base, OTEL_TRACES_SAMPLER_ARG: '2' }).problems).toEqual([
      expect.stringMatching(/^OTEL_TRACES_SAMPLER_ARG: /),
    ]);
  });

  it('reads OTLP headers as percent-encoded key=value pairs, and never echoes a malformed one', () => {
    const config = loadConfig({
      ...base,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=abc%3D%3D, x-team = blue',
    });
    expect(config.tracing.headers).toEqual({ 'x-api-key': 'abc==', 'x-team': 'blue' });
    const err = problemsOf({ ...base, OTEL_EXPORTER_OTLP_HEADERS: 'secret-token-without-a-key' });
    expect(err.problems).toEqual(['OTEL_EXPORTER_OTLP_HEADERS: must be key=value pairs separated by commas']);
    expect(err.message).not.toContain('secret-token');
    expect(problemsOf({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }).problems).toEqual([
      expect.stringMatching(/^OTEL_EXPORTER_OTLP_ENDPOINT: /),
    ]);
  });
});
