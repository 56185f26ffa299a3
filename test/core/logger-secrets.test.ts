import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';

const capture = () => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), lines };
};

describe('the logger', () => {
  it('never writes OAuth secrets or an installation’s tokens, however they are nested', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        oauth: { clientSecret: 'cs-SECRET', stateSecret: 'ss-SECRET', encryptionKeys: ['ek-SECRET'] },
        installation: {
          bot: { token: 'xoxb-SECRET', refreshToken: 'xoxe-SECRET' },
          user: { token: 'xoxp-SECRET', refreshToken: 'xoxe-SECRET2' },
        },
        result: { accessToken: 'xoxb-SECRET3', refreshToken: 'xoxe-SECRET3' },
      },
      'installed',
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('SECRET');
    expect(lines[0]).toContain('installed');
  });
});
