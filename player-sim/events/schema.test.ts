import { describe, expect, it } from 'vitest';
import { fixtureSession } from './fixtures.js';
import { QOE_EVENT_TYPES, parseQoeEvent, qoeEventJsonSchema, type QoeEvent } from './schema.js';

const session = fixtureSession({
  sessionId: 'schema-1',
  rebufferMs: [200, 300],
  failoverTo: 'http://127.0.0.1:8081',
  error: true,
});
const byType = (type: QoeEvent['type']) => session.find((e) => e.type === type)!;

describe('QoE event schema', () => {
  it('accepts every event of a realistic session, one of each type, unchanged', () => {
    expect(new Set(session.map((e) => e.type))).toEqual(new Set(QOE_EVENT_TYPES));
    for (const event of session) expect(parseQoeEvent(event)).toEqual({ kind: 'ok', event });
    expect(session.map((e) => e.seq)).toEqual(session.map((_, i) => i));
  });

  it.each([
    ['not an object', () => 'session_start', /expected object/i],
    ['an unknown type', () => ({ ...byType('error'), type: 'buffering' }), /^type:/],
    ['no sessionId', () => ({ ...byType('error'), sessionId: undefined }), /^sessionId:/],
    ['an empty sessionId', () => ({ ...byType('error'), sessionId: '' }), /^sessionId:/],
    ['a 129-character sessionId', () => ({ ...byType('error'), sessionId: 'a'.repeat(129) }), /^sessionId:/],
    ['a fractional seq', () => ({ ...byType('error'), seq: 1.5 }), /^seq:/],
    ['a seq past 2^31 - 1', () => ({ ...byType('error'), seq: 2 ** 31 }), /^seq:/],
    ['a timestamp as a string', () => ({ ...byType('error'), timestampMs: '2025-01-01' }), /^timestampMs:/],
    ['an unknown envelope field', () => ({ ...byType('error'), ip: '1.2.3.4' }), /unrecognized/i],
    [
      'an unknown payload field',
      () => ({ ...byType('rebuffer_end'), payload: { ...byType('rebuffer_end').payload, extra: 1 } }),
      /^payload/,
    ],
    [
      'a negative duration',
      () => ({ ...byType('rebuffer_end'), payload: { positionMs: 0, durationMs: -1 } }),
      /durationMs/,
    ],
    [
      'a rung index of 64',
      () => ({ ...byType('startup_complete'), payload: { startupDelayMs: 1, rungIndex: 64, bitrateBps: 1 } }),
      /rungIndex/,
    ],
    [
      'a bad title id',
      () => ({ ...byType('session_start'), payload: { titleId: 'Movie!', strategy: 'bba' } }),
      /titleId/,
    ],
    [
      'a bad strategy name',
      () => ({ ...byType('session_start'), payload: { titleId: 'm', strategy: 'BBA' } }),
      /strategy/,
    ],
    [
      'an edge with a space',
      () => ({ ...byType('rebuffer_start'), payload: { positionMs: 0, edge: 'edge a' } }),
      /edge/,
    ],
    [
      'an unknown failover reason',
      () => ({ ...byType('edge_failover'), payload: { fromEdge: 'a', reason: 'bored' } }),
      /reason/,
    ],
    [
      'an error code in lower case',
      () => ({ ...byType('error'), payload: { code: 'oops', fatal: true } }),
      /code/,
    ],
    [
      'a 1025-character error message',
      () => ({ ...byType('error'), payload: { code: 'X', fatal: true, message: 'm'.repeat(1025) } }),
      /message/,
    ],
    [
      'a rebuffer ratio over 1',
      () => {
        const end = byType('session_end') as Extract<QoeEvent, { type: 'session_end' }>;
        return {
          ...end,
          payload: { ...end.payload, summary: { ...end.payload.summary, rebufferRatio: 1.01 } },
        };
      },
      /rebufferRatio/,
    ],
    [
      'a summary without qoeLin',
      () => {
        const end = byType('session_end') as Extract<QoeEvent, { type: 'session_end' }>;
        const { qoeLin: _dropped, ...summary } = end.payload.summary;
        return { ...end, payload: { ...end.payload, summary } };
      },
      /qoeLin/,
    ],
  ])('refuses %s, naming the field', (_name, make, message) => {
    const result = parseQoeEvent(make());
    expect(result.kind).toBe('invalid');
    expect(result.kind === 'invalid' && result.message).toMatch(message);
  });

  it('exports a JSON Schema with one closed branch per type', () => {
    const schema = qoeEventJsonSchema() as {
      oneOf: { properties: { type: { const: string } }; additionalProperties: boolean }[];
    };
    expect(schema.oneOf.map((b) => b.properties.type.const)).toEqual([...QOE_EVENT_TYPES]);
    expect(schema.oneOf.every((b) => b.additionalProperties === false)).toBe(true);
    expect(schema).not.toHaveProperty('$schema');
  });
});
