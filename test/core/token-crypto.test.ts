import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/core/config.js';
import { createTokenCrypto, parseEncryptionKeys, TokenCryptoError } from '../../src/core/token-crypto.js';

const keyText = () => randomBytes(32).toString('base64');
const keysOf = (text: string) => {
  const parsed = parseEncryptionKeys(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.keys;
};

describe('token crypto (AES-256-GCM)', () => {
  it('opens what it sealed, and never shows the token in the envelope', () => {
    const crypto = createTokenCrypto(keysOf(keyText()));
    const sealed = crypto.encrypt('xoxb-1-secret-token');
    expect(sealed).not.toContain('xoxb');
    expect(crypto.decrypt(sealed)).toBe('xoxb-1-secret-token');
    // A random IV each time: the same token never seals the same way twice.
    expect(crypto.encrypt('xoxb-1-secret-token')).not.toBe(sealed);
  });

  it('refuses an envelope altered anywhere: ciphertext, tag, IV or key id', () => {
    const key = keyText();
    const crypto = createTokenCrypto(keysOf(`a:${key},b:${key}`));
    const sealed = crypto.encrypt('xoxb-1-secret-token');
    const parts = sealed.split('.');
    const flip = (i: number) =>
      parts.map((p, j) => (j === i ? `${p.slice(0, -2)}${p.endsWith('AA') ? 'BB' : 'AA'}` : p)).join('.');
    for (const i of [2, 3, 4]) expect(() => crypto.decrypt(flip(i))).toThrow(TokenCryptoError);
    // Same key under another id: the id is authenticated data, so the swap fails.
    expect(() => crypto.decrypt(sealed.replace('.a.', '.b.'))).toThrow(TokenCryptoError);
    expect(() => crypto.decrypt('not an envelope')).toThrow(TokenCryptoError);
  });

  it('rotates: the first key seals, older keys still open what they sealed', () => {
    const [oldKey, newKey] = [keyText(), keyText()];
    const before = createTokenCrypto(keysOf(`old:${oldKey}`));
    const sealedBefore = before.encrypt('xoxb-old');
    const after = createTokenCrypto(keysOf(`new:${newKey},old:${oldKey}`));
    expect(after.decrypt(sealedBefore)).toBe('xoxb-old');
    const sealedAfter = after.encrypt('xoxb-new');
    expect(sealedAfter.split('.')[1]).toBe('new');
    // Once the old key is dropped, only what it alone sealed becomes unreadable.
    const later = createTokenCrypto(keysOf(`new:${newKey}`));
    expect(later.decrypt(sealedAfter)).toBe('xoxb-new');
    expect(() => later.decrypt(sealedBefore)).toThrow(/does not hold/);
  });

  it('refuses the wrong key', () => {
    const sealed = createTokenCrypto(keysOf(`k:${keyText()}`)).encrypt('xoxb-1');
    expect(() => createTokenCrypto(keysOf(`k:${keyText()}`)).decrypt(sealed)).toThrow(TokenCryptoError);
  });

  it('reads keys in base64 or hex, named by id or by their hash, and names a bad one without its value', () => {
    const hex = randomBytes(32).toString('hex');
    const keys = keysOf(`${hex}, second:${keyText()}`);
    expect(keys.map((k) => k.id)).toEqual([expect.stringMatching(/^[0-9a-f]{8}$/), 'second']);
    expect(keysOf(hex)[0]?.id).toBe(keys[0]?.id);
    const bad = parseEncryptionKeys('k:c2hvcnQ=');
    expect(bad).toEqual({ ok: false, problem: expect.stringContaining('key 1 must be 32 bytes') });
    expect(JSON.stringify(bad)).not.toContain('c2hvcnQ');
  });
});

describe('OAuth settings', () => {
  const oauth = {
    SLACK_SIGNING_SECRET: 'shh',
    SLACK_CLIENT_ID: '123.456',
    SLACK_CLIENT_SECRET: 'client-secret-value',
    SLACK_STATE_SECRET: 'state-secret-value',
  };
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    return [];
  };

  it('is off without the client settings: one workspace, with its bot token', () => {
    expect(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' }).slack.oauth).toBeUndefined();
  });

  it('turns on with client id, secret and state secret, needing no bot token but an encryption key', () => {
    const key = keyText();
    const config = loadConfig({ ...oauth, TOKEN_ENCRYPTION_KEY: `k1:${key}` });
    expect(config.slack.oauth).toMatchObject({
      clientId: '123.456',
      installPath: '/slack/install',
      redirectUriPath: '/slack/oauth_redirect',
      encryptionKeys: [{ id: 'k1', secret: key }],
    });
    expect(problems(oauth)).toEqual(['TOKEN_ENCRYPTION_KEY: required in OAuth mode']);
  });

  it('names what a partial set lacks, never a value', () => {
    const found = problems({ SLACK_SIGNING_SECRET: 's', SLACK_CLIENT_ID: '123.456' });
    expect(found).toEqual([
      expect.stringMatching(/^SLACK_CLIENT_SECRET: required in OAuth mode/),
      expect.stringMatching(/^SLACK_STATE_SECRET: required in OAuth mode/),
    ]);
    expect(found.join()).not.toContain('123.456');
    const badKey = problems({ ...oauth, TOKEN_ENCRYPTION_KEY: 'tooshort-secret' });
    expect(badKey).toEqual([expect.stringMatching(/^TOKEN_ENCRYPTION_KEY: key 1 must be 32 bytes/)]);
    expect(badKey.join()).not.toContain('tooshort');
  });
});
