import { describe, expect, it } from 'vitest';
import { isCdnError } from '../../common/errors.js';
import { type AttrType, formatDecimal, formatValue, lexAttributeList, readValue } from './attributes.js';

describe('lexAttributeList (RFC 8216 §4.2)', () => {
  it('reads quoted and unquoted values, keeping commas inside quotes', () => {
    const lexed = lexAttributeList(
      'BANDWIDTH=290474,CODECS="avc1.640015,mp4a.40.2",RESOLUTION=480x270,X-Y="a=b"',
    );
    expect(lexed).toEqual({
      ok: true,
      attributes: [
        { name: 'BANDWIDTH', value: '290474', quoted: false },
        { name: 'CODECS', value: 'avc1.640015,mp4a.40.2', quoted: true },
        { name: 'RESOLUTION', value: '480x270', quoted: false },
        { name: 'X-Y', value: 'a=b', quoted: true },
      ],
    });
  });

  it('accepts an empty list, an empty quoted-string, and a space after a comma', () => {
    expect(lexAttributeList('')).toEqual({ ok: true, attributes: [] });
    expect(lexAttributeList('A="",B=1, C=2')).toMatchObject({
      ok: true,
      attributes: [{ value: '' }, {}, { name: 'C' }],
    });
  });

  it.each([
    ['A', "expected '=' after A"],
    ['=1', 'expected an attribute name'],
    ['A=', 'A: empty value'],
    ['A="abc', 'A: unterminated quoted-string'],
    ['A=1,', 'ends with a comma'],
    ['A=1,A=2', 'A appears more than once'],
    ['A=1 B=2', "expected ',' after the value of A"],
    ['A="x"y', "expected ',' after the value of A"],
    ['A=x"y', "expected ',' after the value of A"],
  ])('rejects %j', (text, message) => {
    const lexed = lexAttributeList(text);
    expect(lexed.ok).toBe(false);
    if (!lexed.ok) expect(lexed.message).toContain(message);
  });
});

describe('formatDecimal', () => {
  it.each([
    [25, '25'],
    [4.011, '4.011'],
    [0, '0'],
    [-0, '0'],
    [1e-7, '0.0000001'],
    [1.5e-10, '0.00000000015'],
    [-2.5e-7, '-0.00000025'],
    [1e21, '1000000000000000000000'],
    [1.2345e25, '12345000000000000000000000'],
    [0.1 + 0.2, '0.30000000000000004'],
  ])('%d → %s, which reads back exactly', (n, text) => {
    expect(formatDecimal(n)).toBe(text);
    expect(Number(formatDecimal(n))).toBe(n === 0 ? 0 : n);
  });
});

describe('typed values', () => {
  const cases: Array<[AttrType, string, boolean, unknown]> = [
    ['int', '007', false, 7],
    ['signedInt', '-3', false, -3],
    ['float', '25.000', false, 25],
    ['float', '.5', false, 0.5],
    ['signedFloat', '-12.5', false, -12.5],
    ['quoted', 'a b,c', true, 'a b,c'],
    ['enum', 'PQ', false, 'PQ'],
    ['hex', '0x0A1b', false, '0x0A1b'],
    ['resolution', '1920x1080', false, { width: 1920, height: 1080 }],
    ['yesNo', 'YES', false, true],
    ['yesNo', 'NO', false, false],
    ['byteRange', '720@0', true, { length: 720, offset: 0 }],
    ['byteRange', '720', true, { length: 720 }],
    ['closedCaptions', 'NONE', false, 'NONE'],
    ['closedCaptions', 'cc1', true, { groupId: 'cc1' }],
    [{ oneOf: ['JSON', 'RAW'] }, 'RAW', false, 'RAW'],
  ];
  it.each(cases)('%j %j (quoted %j) reads and writes back', (type, value, quoted, expected) => {
    const read = readValue(type, { name: 'A', value, quoted });
    expect(read).toEqual({ ok: true, value: expected });
    const written = formatValue(type, expected, 'A');
    const unquoted = written.startsWith('"') ? written.slice(1, -1) : written;
    expect(readValue(type, { name: 'A', value: unquoted, quoted: written.startsWith('"') })).toEqual(read);
  });

  it.each<[AttrType, string, boolean]>([
    ['int', '-1', false],
    ['int', '1.5', false],
    ['int', '"1"', true],
    ['int', '99999999999999999999', false],
    ['float', '-1', false],
    ['float', '1e5', false],
    ['float', '1'.repeat(400), false],
    ['quoted', 'x', false],
    ['enum', 'x', true],
    ['hex', '0x', false],
    ['resolution', '1920X1080', false],
    ['yesNo', 'yes', false],
    ['byteRange', '1@', true],
    ['closedCaptions', 'cc1', false],
    [{ oneOf: ['JSON'] }, 'XML', false],
  ])('%j rejects %j', (type, value, quoted) => {
    expect(readValue(type, { name: 'A', value, quoted }).ok).toBe(false);
  });

  it.each<[AttrType, unknown]>([
    ['quoted', 'say "hi"'],
    ['quoted', 'two\nlines'],
    ['quoted', 'cr\r'],
    ['quoted', 42],
    ['enum', 'a,b'],
    ['enum', 'a b'],
    ['enum', ''],
    ['int', 1.5],
    ['int', -1],
    ['int', Number.MAX_SAFE_INTEGER + 1],
    ['float', Number.NaN],
    ['float', Number.POSITIVE_INFINITY],
    ['float', -1],
    ['signedFloat', Number.NaN],
    ['hex', 'abc'],
    ['resolution', { width: 1.5, height: 2 }],
    ['yesNo', 'YES'],
    ['closedCaptions', { groupId: 'a"b' }],
  ])('the writer refuses %j %j with MANIFEST_ERR_INVALID', (type, value) => {
    let thrown: unknown;
    try {
      formatValue(type, value, 'A');
    } catch (error) {
      thrown = error;
    }
    expect(isCdnError(thrown, 'MANIFEST_ERR_INVALID')).toBe(true);
  });
});
