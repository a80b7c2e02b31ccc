import { describe, expect, it } from 'vitest';
import { evaluatePreconditions, rangeAllowed, validatorsFromHeaders } from './conditional.js';
import { parseRange } from './range.js';

/** Stored-response validators as the edge has them: header strings. */
const V = validatorsFromHeaders('"abc"', 'Wed, 01 Jan 2025 00:00:00 GMT');

function decideRange(range: string, ifRange: string | undefined, sizeBytes: number) {
  return rangeAllowed(ifRange, V) ? parseRange(range, sizeBytes) : { kind: 'full' };
}

function notModified(ifNoneMatch: string | undefined, ifModifiedSince: string | undefined): boolean {
  return evaluatePreconditions('GET', { ifNoneMatch, ifModifiedSince }, V).kind === 'not-modified';
}

describe('ranges against stored header validators', () => {
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
    expect(decideRange(range, undefined, 100)).toEqual(expected);
  });

  it('applies If-Range only on a strong match or the exact date', () => {
    expect(decideRange('bytes=0-1', '"abc"', 100).kind).toBe('partial');
    expect(decideRange('bytes=0-1', 'W/"abc"', 100).kind).toBe('full');
    expect(decideRange('bytes=0-1', '"other"', 100).kind).toBe('full');
    expect(decideRange('bytes=0-1', 'Wed, 01 Jan 2025 00:00:00 GMT', 100).kind).toBe('partial');
    expect(decideRange('bytes=0-1', 'Thu, 02 Jan 2025 00:00:00 GMT', 100).kind).toBe('full');
  });

  it('never applies If-Range when the stored response has no validators', () => {
    const none = validatorsFromHeaders(undefined, undefined);
    expect(rangeAllowed('"abc"', none)).toBe(false);
    expect(rangeAllowed('Wed, 01 Jan 2025 00:00:00 GMT', none)).toBe(false);
    expect(rangeAllowed(undefined, none)).toBe(true);
  });
});

describe('preconditions against stored header validators', () => {
  it('compares entity-tags weakly and prefers If-None-Match over If-Modified-Since', () => {
    expect(notModified('W/"abc"', undefined)).toBe(true);
    expect(notModified('"x", "abc"', undefined)).toBe(true);
    expect(notModified('*', undefined)).toBe(true);
    expect(notModified('"x"', 'Thu, 02 Jan 2025 00:00:00 GMT')).toBe(false);
    expect(notModified(undefined, 'Thu, 02 Jan 2025 00:00:00 GMT')).toBe(true);
    expect(notModified(undefined, 'Tue, 31 Dec 2024 00:00:00 GMT')).toBe(false);
    expect(notModified(undefined, 'garbage')).toBe(false);
  });

  it('fails If-Match on another tag and If-Unmodified-Since after a change', () => {
    expect(evaluatePreconditions('GET', { ifMatch: '"zzz"' }, V).kind).toBe('precondition-failed');
    expect(evaluatePreconditions('GET', { ifMatch: '"abc"' }, V).kind).toBe('proceed');
    expect(evaluatePreconditions('GET', { ifUnmodifiedSince: 'Tue, 31 Dec 2024 00:00:00 GMT' }, V).kind).toBe(
      'precondition-failed',
    );
  });

  it('ignores date conditions when the stored response has no Last-Modified', () => {
    const none = validatorsFromHeaders('"abc"', undefined);
    expect(
      evaluatePreconditions('GET', { ifModifiedSince: 'Thu, 02 Jan 2025 00:00:00 GMT' }, none).kind,
    ).toBe('proceed');
    expect(
      evaluatePreconditions('GET', { ifUnmodifiedSince: 'Tue, 31 Dec 2024 00:00:00 GMT' }, none).kind,
    ).toBe('proceed');
  });
});
