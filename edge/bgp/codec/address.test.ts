import { describe, expect, it } from 'vitest';
import { Afi } from './constants.js';
import { formatIpv6, formatPrefix, parseAddress, parseIpv6, parsePrefix, prefixContains } from './address.js';

describe('addresses and prefixes', () => {
  it.each([
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // RFC 5952 §4.2.3: the first of equal runs
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // RFC 5952 §4.2.2: one zero group is not shortened
    ['0:0:0:0:0:0:0:0', '::'],
    ['fe80::', 'fe80::'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['2001:DB8::A:0:0:0', '2001:db8:0:0:a::'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
  ])('formats %s as %s (RFC 5952)', (input, output) => {
    expect(formatIpv6(parseIpv6(input)!)).toBe(output);
  });

  it.each([
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '12345::',
    '::g',
    '1:2:3:4:5:6:7',
    ':::',
    '1.2.3.4.5',
    '256.1.1.1',
    '01.2.3.4',
    '',
  ])('refuses the address %j', (text) => {
    expect(parseAddress(text)).toBeUndefined();
  });

  it('parses prefixes and refuses host bits, lengths over the family and junk', () => {
    expect(parsePrefix('10.0.0.0/8')).toEqual({
      afi: Afi.Ipv4,
      bytes: Uint8Array.of(10, 0, 0, 0),
      length: 8,
    });
    expect(formatPrefix(parsePrefix('2001:db8::/32')!)).toBe('2001:db8::/32');
    for (const bad of [
      '10.0.0.1/8',
      '10.0.0.0/33',
      '2001:db8::/129',
      '10.0.0.0',
      '10.0.0.0/',
      '10.0.0.0/08x',
      'x/8',
    ]) {
      expect(parsePrefix(bad), bad).toBeUndefined();
    }
  });

  it('tells whether one prefix covers another', () => {
    const p = (t: string) => parsePrefix(t)!;
    expect(prefixContains(p('10.0.0.0/8'), p('10.1.0.0/16'))).toBe(true);
    expect(prefixContains(p('10.0.0.0/8'), p('10.0.0.0/8'))).toBe(true);
    expect(prefixContains(p('10.0.0.0/9'), p('10.128.0.0/16'))).toBe(false);
    expect(prefixContains(p('10.1.0.0/16'), p('10.0.0.0/8'))).toBe(false);
    expect(prefixContains(p('0.0.0.0/0'), p('2001:db8::/32'))).toBe(false);
    expect(prefixContains(p('2001:db8::/31'), p('2001:db9::/32'))).toBe(true);
  });
});
