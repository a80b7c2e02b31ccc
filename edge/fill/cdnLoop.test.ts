import { describe, expect, it } from 'vitest';
import {
  MAX_CDN_LOOP_MEMBERS,
  appendCdnLoop,
  cdnLoopMember,
  loopVerdict,
  parseCdnLoop,
  type LoopIdentity,
} from './cdnLoop.js';

const a: LoopIdentity = { clusterId: 'site1', nodeId: 'edge-a' };
const verdict = (value: string | string[] | undefined, self = a) => loopVerdict(parseCdnLoop(value), self);

describe('CDN-Loop', () => {
  it('parses members with parameters, quoted strings and repeated fields (RFC 8586 §2)', () => {
    expect(
      parseCdnLoop('foo123.foocdn.example, barcdn.example; trace="abcdef", AnotherCDN; abc=123; def="456"'),
    ).toEqual([
      { cdnId: 'foo123.foocdn.example', params: {} },
      { cdnId: 'barcdn.example', params: { trace: 'abcdef' } },
      { cdnId: 'AnotherCDN', params: { abc: '123', def: '456' } },
    ]);
    expect(parseCdnLoop(['x; node="a,b;c"', ' , y'])).toEqual([
      { cdnId: 'x', params: { node: 'a,b;c' } },
      { cdnId: 'y', params: {} },
    ]);
    expect(parseCdnLoop(undefined)).toEqual([]);
  });

  it('tells a client, a peer of the cluster and a loop apart', () => {
    expect(verdict(undefined)).toEqual({ kind: 'client' });
    expect(verdict('othercdn, site2; node=edge-a')).toEqual({ kind: 'client' });
    expect(verdict('site1; node=edge-b')).toEqual({ kind: 'peer', fromNode: 'edge-b' });
    expect(verdict('othercdn, site1; node=edge-b, parents; node=p1')).toEqual({
      kind: 'peer',
      fromNode: 'edge-b',
    });
    expect(verdict('site1; node=edge-b, site1; node=edge-a')).toEqual({ kind: 'loop' });
    expect(verdict('site1; NODE="edge-a"')).toEqual({ kind: 'loop' });
    // Outside a cluster the node's id is its cdn-id: any member with it is a loop.
    const lone = { clusterId: undefined, nodeId: 'edge-a' };
    expect(verdict('edge-a; node=whatever', lone)).toEqual({ kind: 'loop' });
    expect(verdict('site1; node=edge-b', lone)).toEqual({ kind: 'client' });
  });

  it('treats an overlong field as a loop', () => {
    const many = Array.from({ length: MAX_CDN_LOOP_MEMBERS + 1 }, (_, i) => `cdn${i}`).join(', ');
    expect(verdict(many)).toEqual({ kind: 'loop' });
    expect(verdict(`x; node="${'a'.repeat(5000)}"`)).toEqual({ kind: 'loop' });
    expect(verdict(many.split(', ').slice(1).join(', '))).toEqual({ kind: 'client' });
  });

  it('writes this node as a member and appends it to what the request carried', () => {
    expect(cdnLoopMember(a)).toBe('site1; node=edge-a');
    expect(cdnLoopMember({ clusterId: undefined, nodeId: 'edge:1' })).toBe('edge:1; node="edge:1"');
    expect(appendCdnLoop(undefined, 'site1; node=edge-a')).toBe('site1; node=edge-a');
    expect(appendCdnLoop(['x', 'y'], 'm')).toBe('x, y, m');
    // What a node writes, it reads back as itself.
    const written = appendCdnLoop('othercdn', cdnLoopMember(a));
    expect(verdict(written)).toEqual({ kind: 'loop' });
    expect(verdict(written, { clusterId: 'site1', nodeId: 'edge-b' })).toEqual({
      kind: 'peer',
      fromNode: 'edge-a',
    });
    const quoted = { clusterId: undefined, nodeId: 'edge:1' };
    expect(verdict(cdnLoopMember(quoted), quoted)).toEqual({ kind: 'loop' });
  });
});
