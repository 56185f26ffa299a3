import { describe, expect, it } from 'vitest';
import { parseLater, type RouteInput, route } from '../../src/answer/routing.js';

const base: RouteInput = {
  later: false,
  contextTokens: 100,
  longThreshold: 1000,
  foregroundInFlight: 0,
  foregroundMax: 4,
};

describe('routing', () => {
  it.each([
    ['a short question when idle', {}, { path: 'foreground' }],
    ['`later` at low priority', { later: true }, { path: 'background', priority: 'low', reason: 'later' }],
    [
      '`later` wins over size and load',
      { later: true, contextTokens: 5000, foregroundInFlight: 9 },
      { path: 'background', priority: 'low', reason: 'later' },
    ],
    [
      'a context above the threshold at normal priority',
      { contextTokens: 1001 },
      { path: 'background', priority: 'normal', reason: 'long' },
    ],
    ['a context exactly at the threshold in the foreground', { contextTokens: 1000 }, { path: 'foreground' }],
    [
      'overflow at high priority when the web process is full',
      { foregroundInFlight: 4 },
      { path: 'background', priority: 'high', reason: 'overflow' },
    ],
    ['just under the limit in the foreground', { foregroundInFlight: 3 }, { path: 'foreground' }],
    [
      'long and busy: long wins',
      { contextTokens: 2000, foregroundInFlight: 4 },
      { path: 'background', priority: 'normal', reason: 'long' },
    ],
  ] as const)('sends %s', (_name, over, expected) => {
    expect(route({ ...base, ...over })).toEqual(expected);
  });

  it.each([
    ['later summarise the thread', 'summarise the thread'],
    ['Later: write a report', 'write a report'],
    ['later, please\nwrite it', 'please\nwrite it'],
    ['later', undefined],
    ['laterally speaking', undefined],
    ['what is later?', undefined],
  ])('reads %j as %j', (text, expected) => {
    expect(parseLater(text)).toBe(expected);
  });
});
