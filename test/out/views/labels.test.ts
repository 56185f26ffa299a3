import { describe, expect, it } from 'vitest';
import { channelLabel, formatAge, formatDuration, stateLabel } from '../../../src/out/views/labels.js';

describe('formatting', () => {
  it('formats ages from now', () => {
    expect(formatAge(-5_000)).toBe('just now');
    expect(formatAge(59_000)).toBe('just now');
    expect(formatAge(3 * 60_000)).toBe('3 min ago');
    expect(formatAge(5 * 3_600_000)).toBe('5 h ago');
    expect(formatAge(30 * 3_600_000)).toBe('1 day ago');
    expect(formatAge(9 * 86_400_000)).toBe('9 days ago');
  });

  it('formats durations', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_340)).toBe('12.3 s');
    expect(formatDuration(185_000)).toBe('3 min 05 s');
    expect(formatDuration(3_720_000)).toBe('1 h 02 min');
  });
});

describe('labels', () => {
  it('gives a queued request its place in line, and every other state its word', () => {
    expect(stateLabel({ state: 'queued', position: 3 })).toBe('⏳ Queued, #3 in line');
    expect(stateLabel({ state: 'queued', position: 0 })).toBe('⏳ Queued');
    expect(stateLabel({ state: 'failed' })).toBe('⚠️ Failed');
  });

  it('names a channel by reference, a DM as such, and anything malformed as plain text', () => {
    expect(channelLabel('C0123ABC')).toBe('<#C0123ABC>');
    expect(channelLabel('D0123ABC')).toBe('Direct message');
    expect(channelLabel('<!channel>')).not.toContain('<');
  });
});
