import { describe, expect, it } from 'vitest';
import { decideRange, isNotModified } from './negotiate.js';

const V = { etag: '"abc"', lastModified: 'Wed, 01 Jan 2025 00:00:00 GMT' };

describe('decideRange', () => {
  it.each([
    ['bytes=0-9', { kind: 'partial', start: 0, end: 9 }],
    ['bytes=90-', { kind: 'partial', start: 90, end: 99 }],
    ['bytes=90-500', { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-10', { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-500', { kind: 'partial', start: 0, end: 99 }],
    ['bytes=100-', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    ['bytes=5-1', { kind: 'full' }],
    ['bytes=0-1,4-5', { kind: 'full' }],
    ['items=0-1', { kind: 'full' }],
    ['bytes=a-b', { kind: 'full' }],
    ['bytes=', { kind: 'full' }],
  ])('%s of 100 bytes', (range, expected) => {
    expect(decideRange(range, undefined, 100, V)).toEqual(expected);
  });

  it('applies If-Range only on a strong match or the exact date', () => {
    expect(decideRange('bytes=0-1', '"abc"', 100, V).kind).toBe('partial');
    expect(decideRange('bytes=0-1', 'W/"abc"', 100, V).kind).toBe('full');
    expect(decideRange('bytes=0-1', '"other"', 100, V).kind).toBe('full');
    expect(decideRange('bytes=0-1', V.lastModified, 100, V).kind).toBe('partial');
    expect(decideRange('bytes=0-1', 'Thu, 02 Jan 2025 00:00:00 GMT', 100, V).kind).toBe('full');
  });
});

describe('isNotModified', () => {
  it('compares entity-tags weakly and prefers If-None-Match over If-Modified-Since', () => {
    expect(isNotModified('W/"abc"', undefined, V)).toBe(true);
    expect(isNotModified('"x", "abc"', undefined, V)).toBe(true);
    expect(isNotModified('*', undefined, V)).toBe(true);
    expect(isNotModified('"x"', 'Thu, 02 Jan 2025 00:00:00 GMT', V)).toBe(false);
    expect(isNotModified(undefined, 'Thu, 02 Jan 2025 00:00:00 GMT', V)).toBe(true);
    expect(isNotModified(undefined, 'Tue, 31 Dec 2024 00:00:00 GMT', V)).toBe(false);
    expect(isNotModified(undefined, 'garbage', V)).toBe(false);
  });
});
