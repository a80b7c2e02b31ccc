import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../test/helpers/random.js';
import {
  formatIp,
  formatIpv6Groups,
  formatPrefix,
  ipBytes,
  maskWords,
  parseIp,
  parsePrefix,
  prefixContains,
  unmapIpv4,
  type IpAddress,
} from './ip.js';

/** WHATWG URL serialises IPv6 hosts per RFC 5952 (compress the first longest run of ≥ 2 zeros). */
function whatwgV6(text: string): string {
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

function randomV6(random: () => number): IpAddress {
  // Zero groups are likely, so compression cases (runs, ties) come up often.
  const group = (): number => (random() < 0.4 ? 0 : Math.floor(random() * 0x10000));
  const words: number[] = [];
  for (let i = 0; i < 4; i++) words.push(((group() << 16) | group()) >>> 0);
  return { family: 6, words };
}

describe('parseIp', () => {
  it('reads dotted-quad IPv4 strictly', () => {
    expect(parseIp('10.1.2.3')).toEqual({ family: 4, words: [0x0a010203] });
    expect(parseIp('255.255.255.255')).toEqual({ family: 4, words: [0xffffffff] });
    expect(parseIp('0.0.0.0')).toEqual({ family: 4, words: [0] });
    for (const bad of [
      '256.0.0.1',
      '1.2.3',
      '1.2.3.4.5',
      '010.0.0.1',
      '1.2.3.-4',
      ' 1.2.3.4',
      '1.2.3.4 ',
      '',
      '1..2.3',
      '0x1.2.3.4',
      '１.2.3.4',
    ]) {
      expect(parseIp(bad), bad).toBeUndefined();
    }
  });

  it('reads every RFC 4291 §2.2 IPv6 form', () => {
    expect(parseIp('2001:db8::1')).toEqual({ family: 6, words: [0x20010db8, 0, 0, 1] });
    expect(parseIp('::')).toEqual({ family: 6, words: [0, 0, 0, 0] });
    expect(parseIp('::1')).toEqual({ family: 6, words: [0, 0, 0, 1] });
    expect(parseIp('1::')).toEqual({ family: 6, words: [0x00010000, 0, 0, 0] });
    expect(parseIp('2001:DB8:0:0:8:800:200C:417A')).toEqual({
      family: 6,
      words: [0x20010db8, 0, 0x00080800, 0x200c417a],
    });
    expect(parseIp('::ffff:192.0.2.1')).toEqual({ family: 6, words: [0, 0, 0xffff, 0xc0000201] });
    expect(parseIp('::192.0.2.1')).toEqual({ family: 6, words: [0, 0, 0, 0xc0000201] });
    expect(parseIp('1:2:3:4:5:6:1.2.3.4')).toEqual({
      family: 6,
      words: [0x10002, 0x30004, 0x50006, 0x01020304],
    });
    for (const bad of [
      ':::',
      '1:::2',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7',
      '12345::',
      'g::',
      ':1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:',
      '1:2:3:4:5:6:7::8',
      'fe80::1%eth0',
      '::1.2.3',
      ':1.2.3.4',
      '1.2.3.4::',
      '[::1]',
      '1:2:3:4:5:6:7:1.2.3.4',
    ]) {
      expect(parseIp(bad), bad).toBeUndefined();
    }
  });

  it('agrees with node:net on which strings are addresses (seeded fuzz)', () => {
    const random = seededRandom(7);
    const alphabet = '0123456789abcdef:.';
    const disagreements: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      let text = '';
      const n = 1 + Math.floor(random() * 20);
      for (let j = 0; j < n; j++) text += alphabet[Math.floor(random() * alphabet.length)];
      const ours = parseIp(text);
      // node:net accepts leading zeros in IPv4 octets; we refuse them (ambiguous octal), nothing else differs.
      const leadingZero = /(^|[.:])0[0-9]/.test(text) && !text.includes(':');
      if (!leadingZero && (ours !== undefined) !== (isIP(text) !== 0)) disagreements.push(text);
    }
    expect(disagreements).toEqual([]);
  });
});

describe('formatIp', () => {
  it('writes RFC 5952 text, the same as WHATWG URL, and round-trips (seeded)', () => {
    const random = seededRandom(11);
    const wrong: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const ip = randomV6(random);
      const text = formatIp(ip);
      const back = parseIp(text);
      if (text !== whatwgV6(text) || back?.words.some((w, j) => w !== ip.words[j])) wrong.push(text);
    }
    expect(wrong).toEqual([]);
    expect(formatIp(parseIp('2001:db8:0:0:1:0:0:1')!)).toBe('2001:db8::1:0:0:1');
    expect(formatIp(parseIp('2001:0:0:1:0:0:0:1')!)).toBe('2001:0:0:1::1');
    expect(formatIp(parseIp('2001:db8:0:1:1:1:1:1')!)).toBe('2001:db8:0:1:1:1:1:1');
    expect(formatIp(parseIp('::')!)).toBe('::');
    expect(formatIp(parseIp('10.0.0.255')!)).toBe('10.0.0.255');
  });

  it('keeps the dotted quad of IPv4-mapped addresses (RFC 5952 §5) and only of those', () => {
    expect(formatIp(parseIp('::ffff:c000:201')!)).toBe('::ffff:192.0.2.1');
    expect(formatIp(parseIp('::fffe:c000:201')!)).toBe('::fffe:c000:201');
    expect(formatIp(parseIp('::c000:201')!)).toBe('::c000:201');
    expect(formatIpv6Groups([0, 0, 0, 0, 0, 0xffff, 0xffff, 0xffff])).toBe('::ffff:255.255.255.255');
    expect(formatIpv6Groups([1, 0, 0, 0, 0, 0, 0, 0])).toBe('1::');
  });
});

describe('ipBytes', () => {
  it('gives network-order bytes of both families', () => {
    expect([...ipBytes(parseIp('192.0.2.1')!)]).toEqual([192, 0, 2, 1]);
    expect([...ipBytes(parseIp('2001:db8::ff01')!)]).toEqual([
      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0x01,
    ]);
  });
});

describe('parsePrefix', () => {
  it('reads prefixes and refuses host bits, long lengths and junk', () => {
    const ok = parsePrefix('10.1.0.0/16');
    expect(ok).toEqual({ ok: true, prefix: { family: 4, words: [0x0a010000], length: 16 } });
    expect(parsePrefix('0.0.0.0/0').ok).toBe(true);
    expect(parsePrefix('2001:db8::/32').ok).toBe(true);
    expect(parsePrefix('::/0').ok).toBe(true);
    expect(parsePrefix('::1/128').ok).toBe(true);
    const cases: Array<[string, RegExp]> = [
      ['10.1.2.3/16', /host bits.*10\.1\.0\.0\/16/],
      ['10.0.0.0/33', /over 32/],
      ['2001:db8::/129', /over 128/],
      ['10.0.0.0', /missing/],
      ['10.0.0.0/', /not a number/],
      ['10.0.0.0/08', /not a number/],
      ['10.0.0.0/-1', /not a number/],
      ['10.0.0.0/1/2', /not a number/],
      ['x/8', /not an IPv4/],
      ['2001:db8::1/64', /host bits/],
    ];
    for (const [text, reason] of cases) {
      const r = parsePrefix(text);
      expect(r.ok, text).toBe(false);
      if (!r.ok) expect(r.reason, text).toMatch(reason);
    }
  });

  it('formats canonically', () => {
    const p = parsePrefix('2001:DB8:0:0::/64');
    expect(p.ok && formatPrefix(p.prefix)).toBe('2001:db8::/64');
  });
});

describe('helpers', () => {
  it('unmaps IPv4-mapped IPv6 and leaves others', () => {
    expect(unmapIpv4(parseIp('::ffff:10.0.0.1')!)).toEqual({ family: 4, words: [0x0a000001] });
    expect(unmapIpv4(parseIp('::10.0.0.1')!).family).toBe(6);
    expect(unmapIpv4(parseIp('10.0.0.1')!)).toEqual({ family: 4, words: [0x0a000001] });
  });

  it('masks and tests containment', () => {
    expect(maskWords([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], 40)).toEqual([
      0xffffffff, 0xff000000, 0, 0,
    ]);
    const p = parsePrefix('10.128.0.0/9');
    if (!p.ok) throw new Error('parse');
    expect(prefixContains(p.prefix, parseIp('10.200.1.1')!)).toBe(true);
    expect(prefixContains(p.prefix, parseIp('10.127.1.1')!)).toBe(false);
    expect(prefixContains(p.prefix, parseIp('::1')!)).toBe(false);
  });
});
