import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Tokens at rest: AES-256-GCM with a random 12-byte IV and its 16-byte tag, and the id of the key
 * that sealed it, so several keys can decrypt while one encrypts (rotation). The envelope is text:
 * `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url parts). The key id doubles as associated data, so
 * an envelope whose id was swapped fails its tag.
 */

export interface EncryptionKey {
  /** Names the key in every envelope it seals; letters, digits, `_` and `-`. */
  id: string;
  /** 32 bytes, base64. Kept as text so the frozen config can hold it. */
  secret: string;
}

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';

const decodeKey = (text: string): Buffer | undefined => {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === KEY_BYTES ? bytes : undefined;
};

/**
 * Reads TOKEN_ENCRYPTION_KEY: comma-separated `[id:]key`. A key without an id is named by its hash
 * (the first 8 hex digits of its SHA-256), so the same key always gets the same id. Problems are
 * worded without the value.
 */
export const parseEncryptionKeys = (
  text: string,
): { ok: true; keys: EncryptionKey[] } | { ok: false; problem: string } => {
  const keys: EncryptionKey[] = [];
  const parts = text.split(',').map((p) => p.trim());
  for (const [i, part] of parts.entries()) {
    const colon = part.indexOf(':');
    const id = colon >= 0 ? part.slice(0, colon) : undefined;
    const bytes = decodeKey(colon >= 0 ? part.slice(colon + 1) : part);
    const which = `key ${i + 1}`;
    if (!bytes)
      return { ok: false, problem: `${which} must be 32 bytes in base64 or hex, optionally id:key` };
    if (id !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(id))
      return { ok: false, problem: `${which}: the id must be 1-32 letters, digits, _ or -` };
    const named = id ?? createHash('sha256').update(bytes).digest('hex').slice(0, 8);
    if (keys.some((k) => k.id === named)) return { ok: false, problem: `${which}: its id is used twice` };
    keys.push({ id: named, secret: bytes.toString('base64') });
  }
  return { ok: true, keys };
};

/** A token that cannot be opened: a key missing from TOKEN_ENCRYPTION_KEY, or an altered envelope. */
export class TokenCryptoError extends Error {
  readonly code = 'token_undecryptable';
  constructor(message: string) {
    super(message);
    this.name = 'TokenCryptoError';
  }
}

export interface TokenCrypto {
  /** Seals with the first key. */
  encrypt(plaintext: string): string;
  /** Opens with the key the envelope names; throws TokenCryptoError if none fits or it was altered. */
  decrypt(envelope: string): string;
  /** The id of the key encrypt uses. */
  readonly currentKeyId: string;
}

export const createTokenCrypto = (keys: readonly EncryptionKey[]): TokenCrypto => {
  const first = keys[0];
  if (!first) throw new Error('createTokenCrypto needs at least one key');
  const byId = new Map(keys.map((k) => [k.id, Buffer.from(k.secret, 'base64')]));
  const b64 = (b: Buffer) => b.toString('base64url');
  return {
    currentKeyId: first.id,
    encrypt(plaintext) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', byId.get(first.id)!, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(first.id));
      const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [VERSION, first.id, b64(iv), b64(cipher.getAuthTag()), b64(sealed)].join('.');
    },
    decrypt(envelope) {
      const [version, id = '', iv = '', tag = '', sealed = '', ...rest] = envelope.split('.');
      if (version !== VERSION || rest.length > 0) throw new TokenCryptoError('not a token envelope');
      const key = byId.get(id);
      if (!key)
        throw new TokenCryptoError(`sealed with key "${id}", which TOKEN_ENCRYPTION_KEY does not hold`);
      const ivBytes = Buffer.from(iv, 'base64url');
      const tagBytes = Buffer.from(tag, 'base64url');
      if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES)
        throw new TokenCryptoError('malformed token envelope');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, ivBytes, { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(id));
        decipher.setAuthTag(tagBytes);
        return Buffer.concat([decipher.update(Buffer.from(sealed, 'base64url')), decipher.final()]).toString(
          'utf8',
        );
      } catch {
        throw new TokenCryptoError('token envelope failed its integrity check');
      }
    },
  };
};
