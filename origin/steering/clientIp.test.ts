import { describe, expect, it } from 'vitest';
import { resolveClientIp, type ClientIpInput } from './clientIp.js';
import { formatIp, parsePrefix, type IpPrefix } from '../../common/ip.js';

const proxies: IpPrefix[] = ['10.0.0.0/8', 'fd00::/8'].map((t) => {
  const p = parsePrefix(t);
  if (!p.ok) throw new Error(p.reason);
  return p.prefix;
});

function resolve(extra: Partial<ClientIpInput>): string {
  const d = resolveClientIp({
    remoteAddress: '203.0.113.9',
    forwardedFor: undefined,
    override: undefined,
    trustedProxies: proxies,
    allowOverride: false,
    ...extra,
  });
  return d.kind === 'ok' ? `${d.source} ${formatIp(d.ip)}` : d.kind;
}

describe('resolveClientIp', () => {
  it('uses the connection, unmapping IPv4-mapped peers', () => {
    expect(resolve({})).toBe('connection 203.0.113.9');
    expect(resolve({ remoteAddress: '::ffff:198.51.100.7' })).toBe('connection 198.51.100.7');
    expect(resolve({ remoteAddress: undefined })).toBe('bad');
  });

  it('ignores X-Forwarded-For from untrusted peers', () => {
    expect(resolve({ forwardedFor: '1.2.3.4' })).toBe('connection 203.0.113.9');
    expect(resolve({ forwardedFor: 'garbage' })).toBe('connection 203.0.113.9');
  });

  it('walks X-Forwarded-For from the right past trusted proxies', () => {
    expect(resolve({ remoteAddress: '10.0.0.1', forwardedFor: '198.51.100.1' })).toBe(
      'forwarded 198.51.100.1',
    );
    // A client-written left part is not believed: the nearest untrusted hop is the client.
    expect(resolve({ remoteAddress: '10.0.0.1', forwardedFor: '6.6.6.6, 198.51.100.1, 10.2.3.4' })).toBe(
      'forwarded 198.51.100.1',
    );
    expect(resolve({ remoteAddress: '10.0.0.1', forwardedFor: ['6.6.6.6', '10.9.9.9'] })).toBe(
      'forwarded 6.6.6.6',
    );
    expect(resolve({ remoteAddress: '10.0.0.1', forwardedFor: '[2001:db8::1]:443' })).toBe(
      'forwarded 2001:db8::1',
    );
    expect(resolve({ remoteAddress: '::ffff:10.0.0.1', forwardedFor: '192.0.2.5:5000' })).toBe(
      'forwarded 192.0.2.5',
    );
    // All hops trusted: the leftmost.
    expect(resolve({ remoteAddress: 'fd00::1', forwardedFor: '10.1.1.1, 10.2.2.2' })).toBe(
      'forwarded 10.1.1.1',
    );
    expect(resolve({ remoteAddress: '10.0.0.1', forwardedFor: '198.51.100.1, nonsense' })).toBe('bad');
  });

  it('takes client_ip only when allowed', () => {
    expect(resolve({ override: '192.0.2.44' })).toBe('override_forbidden');
    expect(resolve({ override: '192.0.2.44', allowOverride: true })).toBe('override 192.0.2.44');
    expect(resolve({ override: '2001:db8::7', allowOverride: true })).toBe('override 2001:db8::7');
    expect(resolve({ override: '300.1.1.1', allowOverride: true })).toBe('bad');
  });
});
