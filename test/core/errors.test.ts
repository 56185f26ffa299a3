import { describe, expect, it } from 'vitest';
import { AppError, errorFields, errorMessage } from '../../src/core/errors.js';

describe('errorMessage', () => {
  it("gives an Error's message, or an error-shaped object's", () => {
    expect(errorMessage(new TypeError('fetch failed'))).toBe('fetch failed');
    expect(errorMessage({ message: 'from a body' })).toBe('from a body');
  });

  it('gives the string form of anything else', () => {
    expect(errorMessage('plain')).toBe('plain');
    expect(errorMessage(undefined)).toBe('undefined');
    expect(errorMessage({ message: 42 })).toBe('[object Object]');
  });
});

describe('errorFields', () => {
  it('gives the message and a string code, and nothing else of the error', () => {
    const err = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', body: 'the answer text' });

    expect(errorFields(err)).toEqual({ message: 'read ECONNRESET', code: 'ECONNRESET' });
    expect(errorFields(new AppError('thread_busy', 'busy'))).toEqual({
      message: 'busy',
      code: 'thread_busy',
    });
  });

  it('leaves out a code that is not a string', () => {
    expect(errorFields(Object.assign(new Error('x'), { code: 503 }))).toEqual({ message: 'x' });
    expect(errorFields(null)).toEqual({ message: 'null' });
  });
});
