import { describe, expect, it } from 'vitest';
import { MARKER, hex, toHex } from '../../../test/bgp/hex.js';
import { seededRandom } from '../../../test/helpers/random.js';
import { MessageFramer, encodeMessage } from './header.js';
import { encodeKeepalive } from './routeRefresh.js';

const KEEPALIVE = `${MARKER} 0013 04`;

describe('message header and framing (RFC 4271 §4.1, §6.1)', () => {
  it('encodes a KEEPALIVE as marker, length 19, type 4', () => {
    expect(toHex(encodeKeepalive())).toBe(toHex(hex(KEEPALIVE)));
  });

  it('cuts back-to-back messages and keeps a partial one for the next push', () => {
    const framer = new MessageFramer();
    const eor = hex(`${MARKER} 0017 02 0000 0000`);
    const stream = new Uint8Array([...hex(KEEPALIVE), ...eor, ...hex(KEEPALIVE)]);
    const first = framer.push(stream.subarray(0, 30));
    expect(first.error).toBeUndefined();
    expect(first.frames.map((f) => f.type)).toEqual([4]);
    expect(framer.bufferedBytes).toBe(11);
    const second = framer.push(stream.subarray(30));
    expect(second.frames.map((f) => [f.type, toHex(f.body)])).toEqual([
      [2, '00000000'],
      [4, ''],
    ]);
    expect(framer.bufferedBytes).toBe(0);
  });

  it('gives the same messages whatever byte boundary the stream is split at', () => {
    const update = hex(`${MARKER} 001e 02 0000 0007 40010100 400200`);
    const messages = [hex(KEEPALIVE), update, encodeMessage(2, hex('0000 0000'))];
    const stream = Uint8Array.from(messages.flatMap((m) => [...m]));
    for (let cut = 0; cut <= stream.length; cut++) {
      const framer = new MessageFramer();
      const a = framer.push(stream.subarray(0, cut));
      const b = framer.push(stream.subarray(cut));
      const bodies = [...a.frames, ...b.frames].map((f) => `${f.type}:${toHex(f.body)}`);
      expect(bodies, `cut at ${cut}`).toEqual(messages.map((m) => `${m[18]}:${toHex(m.subarray(19))}`));
    }
    // One byte at a time.
    const framer = new MessageFramer();
    const got: number[] = [];
    for (const byte of stream) for (const f of framer.push(Uint8Array.of(byte)).frames) got.push(f.type);
    expect(got).toEqual([4, 2, 2]);
  });

  it.each([
    ['a marker that is not all ones', `ffffffffffffffffffffffffffffff00 0013 04`, 1, 1, ''],
    ['a length under 19', `${MARKER} 0012 04`, 1, 2, '0012'],
    ['a length over 4096', `${MARKER} 1001 02`, 1, 2, '1001'],
    ['a length of 65535 without extended messages', `${MARKER} ffff 02`, 1, 2, 'ffff'],
    ['an unknown message type', `${MARKER} 0013 09`, 1, 3, '09'],
    ['a KEEPALIVE with a body', `${MARKER} 0014 04 00`, 1, 2, '0014'],
    ['an OPEN shorter than 29', `${MARKER} 001c 01 04fde9005ac0000201`, 1, 2, '001c'],
    ['an UPDATE shorter than 23', `${MARKER} 0016 02 000000`, 1, 2, '0016'],
    ['a NOTIFICATION shorter than 21', `${MARKER} 0014 03 06`, 1, 2, '0014'],
  ])('refuses %s with the right NOTIFICATION', (_name, bytes, code, subcode, data) => {
    const framer = new MessageFramer();
    const result = framer.push(hex(bytes));
    expect(result.frames).toEqual([]);
    expect(result.error).toMatchObject({ code, subcode });
    expect(toHex(result.error!.data)).toBe(data);
    // After an error the framer yields nothing more (the connection is to be closed).
    expect(framer.push(hex(KEEPALIVE)).frames).toEqual([]);
  });

  it('reports the header error as soon as the 19 header octets are in, before the body', () => {
    const framer = new MessageFramer();
    expect(framer.push(hex(`${MARKER} 10`)).error).toBeUndefined();
    expect(framer.push(hex(`01 02`)).error).toMatchObject({ code: 1, subcode: 2 });
  });

  it('accepts up to 65535 octets when extended messages are in force (RFC 8654)', () => {
    const big = encodeMessage(2, new Uint8Array(5000), 65535);
    const framer = new MessageFramer(65535);
    expect(framer.push(big).frames[0]?.body.length).toBe(5000);
    expect(() => encodeMessage(2, new Uint8Array(5000))).toThrow(/over the 4096-octet limit/);
  });

  it('never throws on random bytes (bounded fuzz) and delivers only whole messages', () => {
    const random = seededRandom(4271);
    for (let round = 0; round < 2000; round++) {
      const framer = new MessageFramer();
      // Half the rounds start with a valid marker so that length and type checks are reached.
      const size = Math.floor(random() * 80);
      const bytes = Uint8Array.from({ length: size }, () => Math.floor(random() * 256));
      if (round % 2 === 0 && size >= 16) bytes.fill(0xff, 0, 16);
      const result = framer.push(bytes);
      for (const frame of result.frames) expect(frame.body.length + 19).toBeLessThanOrEqual(size);
    }
  });
});
