import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCdnError } from '../../common/errors.js';
import { assertValidHlsPlaylist, validateHlsPlaylist } from './index.js';

const fixture = (name: string): Buffer => readFileSync(join(import.meta.dirname, '../testdata/shaka', name));

/** The single problem validation finds in `lines`, as { code, line, message fragment }. */
function onlyProblem(lines: readonly string[]): { code: string; line: number | undefined; message: string } {
  const problems = validateHlsPlaylist(lines.join('\n'));
  expect(problems, JSON.stringify(problems)).toHaveLength(1);
  const [p] = problems;
  return { code: p!.code, line: p!.line, message: p!.message };
}

const INVALID = 'MANIFEST_ERR_INVALID';

describe('validateHlsPlaylist: valid input', () => {
  it.each(['master.m3u8', 'video-playlist.m3u8', 'audio-playlist.m3u8'])('finds nothing in %s', (name) => {
    expect(validateHlsPlaylist(fixture(name))).toEqual([]);
  });

  it('returns parse problems (MANIFEST_ERR_PARSE) without semantic ones when the text does not parse', () => {
    expect(validateHlsPlaylist('#EXTM3U\n#EXT-X-TARGETDURATION:x\n#EXTINF:9,\na.ts\n')).toEqual([
      {
        code: 'MANIFEST_ERR_PARSE',
        line: 2,
        message: "EXT-X-TARGETDURATION must be a decimal-integer, got 'x'",
      },
    ]);
  });
});

describe('validateHlsPlaylist: media playlist rules', () => {
  const head = ['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-TARGETDURATION:4']; // lines 1-3

  it('EXT-X-TARGETDURATION is required (RFC 8216 §4.3.3.1)', () => {
    expect(onlyProblem(['#EXTM3U', '#EXTINF:4,', 'a.ts'])).toEqual({
      code: INVALID,
      line: 1,
      message: 'EXT-X-TARGETDURATION is missing',
    });
  });

  it('every EXTINF rounded to the nearest integer ≤ target duration (RFC 8216 §4.3.3.1)', () => {
    const ok = [...head, '#EXTINF:4.49,', 'a.ts'];
    expect(validateHlsPlaylist(ok.join('\n'))).toEqual([]);
    expect(onlyProblem([...head, '#EXTINF:4.49,', 'a.ts', '#EXTINF:4.5,', 'b.ts'])).toEqual({
      code: INVALID,
      line: 6,
      message: 'EXTINF 4.5 s rounds to more than EXT-X-TARGETDURATION 4 s',
    });
  });

  it('media sequence numbers are not negative', () => {
    expect(onlyProblem([...head, '#EXT-X-MEDIA-SEQUENCE:-1'])).toEqual({
      code: INVALID,
      line: 4,
      message: 'EXT-X-MEDIA-SEQUENCE must not be negative (-1)',
    });
    expect(onlyProblem([...head, '#EXT-X-DISCONTINUITY-SEQUENCE:-2'])).toMatchObject({
      code: INVALID,
      line: 4,
    });
  });

  it('a VOD playlist has EXT-X-ENDLIST', () => {
    expect(onlyProblem([...head, '#EXT-X-PLAYLIST-TYPE:VOD', '#EXTINF:4,', 'a.ts'])).toEqual({
      code: INVALID,
      line: 4,
      message: 'a VOD playlist must end with EXT-X-ENDLIST',
    });
  });

  it('EXT-X-BYTERANGE without an offset follows a range of the same resource (RFC 8216 §4.3.2.2)', () => {
    const lines = [
      ...head,
      '#EXT-X-BYTERANGE:100@0',
      '#EXTINF:4,',
      'a.ts',
      '#EXT-X-BYTERANGE:100',
      '#EXTINF:4,',
      'b.ts',
    ];
    expect(onlyProblem(lines)).toMatchObject({ code: INVALID, line: 7 });
  });

  it.each([
    [
      'a fractional EXTINF needs version 3',
      [
        '#EXTM3U',
        '#EXT-X-VERSION:2',
        '#EXT-X-TARGETDURATION:4',
        '#EXTINF:4,',
        'a.ts',
        '#EXTINF:3.5,',
        'b.ts',
      ],
      6,
      'needs EXT-X-VERSION 3 or more, the playlist has 2',
    ],
    [
      'EXT-X-BYTERANGE needs version 4',
      [
        '#EXTM3U',
        '#EXT-X-VERSION:3',
        '#EXT-X-TARGETDURATION:4',
        '#EXT-X-BYTERANGE:10@0',
        '#EXTINF:4,',
        'a.ts',
      ],
      4,
      'EXT-X-BYTERANGE needs EXT-X-VERSION 4',
    ],
    [
      'EXT-X-MAP needs version 6 without I-frames-only',
      [
        '#EXTM3U',
        '#EXT-X-VERSION:5',
        '#EXT-X-TARGETDURATION:4',
        '#EXT-X-MAP:URI="i.mp4"',
        '#EXTINF:4,',
        'a.mp4',
      ],
      4,
      'EXT-X-MAP without EXT-X-I-FRAMES-ONLY needs EXT-X-VERSION 6',
    ],
    [
      'EXT-X-MAP needs version 5 with I-frames-only',
      [
        '#EXTM3U',
        '#EXT-X-VERSION:4',
        '#EXT-X-TARGETDURATION:4',
        '#EXT-X-I-FRAMES-ONLY',
        '#EXT-X-MAP:URI="i.mp4"',
        '#EXTINF:4,',
        'a.mp4',
      ],
      5,
      'EXT-X-MAP needs EXT-X-VERSION 5',
    ],
    [
      'EXT-X-I-FRAMES-ONLY needs version 4',
      ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:4', '#EXT-X-I-FRAMES-ONLY'],
      4,
      'EXT-X-I-FRAMES-ONLY needs EXT-X-VERSION 4',
    ],
    [
      'an IV needs version 2 (no EXT-X-VERSION is version 1)',
      [
        '#EXTM3U',
        '#EXT-X-TARGETDURATION:4',
        '#EXT-X-KEY:METHOD=AES-128,URI="k",IV=0x1',
        '#EXTINF:4,',
        'a.ts',
      ],
      3,
      'the playlist has 1',
    ],
    [
      'KEYFORMAT needs version 5',
      [
        '#EXTM3U',
        '#EXT-X-VERSION:4',
        '#EXT-X-TARGETDURATION:4',
        '#EXTINF:4,',
        'a.ts',
        '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="k",KEYFORMAT="x"',
        '#EXTINF:4,',
        'b.ts',
      ],
      6,
      'KEYFORMAT/KEYFORMATVERSIONS of EXT-X-KEY needs EXT-X-VERSION 5',
    ],
    [
      'EXT-X-DEFINE needs version 8',
      ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-TARGETDURATION:4', '#EXT-X-DEFINE:NAME="a",VALUE="b"'],
      4,
      'EXT-X-DEFINE (variable substitution) needs EXT-X-VERSION 8',
    ],
  ])('%s (RFC 8216 §7)', (_, lines, line, message) => {
    expect(onlyProblem(lines)).toEqual({ code: INVALID, line, message: expect.stringContaining(message) });
  });
});

describe('validateHlsPlaylist: master playlist rules', () => {
  const audio = '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="English",URI="a.m3u8"';
  const variant = (attributes: string): string[] => [`#EXT-X-STREAM-INF:${attributes}`, 'v.m3u8'];
  const ok = 'BANDWIDTH=2000,CODECS="avc1.64001f"';

  it.each([
    [
      'a variant has BANDWIDTH (RFC 8216 §4.3.4.2)',
      variant('CODECS="avc1.64001f"'),
      2,
      'EXT-X-STREAM-INF v.m3u8 has no BANDWIDTH',
    ],
    ['a variant has CODECS', variant('BANDWIDTH=1'), 2, 'EXT-X-STREAM-INF v.m3u8 has no CODECS'],
    [
      'an I-frame variant has BANDWIDTH',
      ['#EXT-X-I-FRAME-STREAM-INF:CODECS="avc1.64001f",URI="i.m3u8"'],
      2,
      'EXT-X-I-FRAME-STREAM-INF i.m3u8 has no BANDWIDTH',
    ],
    [
      'AVERAGE-BANDWIDTH ≤ BANDWIDTH',
      variant(`${ok},AVERAGE-BANDWIDTH=2001`),
      2,
      'AVERAGE-BANDWIDTH 2001 exceeds BANDWIDTH 2000',
    ],
    [
      'SCORE is not negative (bis §4.4.6.2)',
      variant(`${ok},SCORE=-0.5`),
      2,
      'SCORE must not be negative (-0.5)',
    ],
    [
      'an AUDIO group is defined',
      [audio, ...variant(`${ok},AUDIO="b"`)],
      3,
      'no EXT-X-MEDIA TYPE=AUDIO defines the group "b"',
    ],
    [
      'an AUDIO group is defined by TYPE=AUDIO',
      ['#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="a",NAME="x",URI="s.m3u8"', ...variant(`${ok},AUDIO="a"`)],
      3,
      'TYPE=AUDIO defines the group "a"',
    ],
    [
      'a SUBTITLES group is defined',
      [audio, ...variant(`${ok},SUBTITLES="a"`)],
      3,
      'TYPE=SUBTITLES defines the group "a"',
    ],
    [
      'a CLOSED-CAPTIONS group is defined',
      variant(`${ok},CLOSED-CAPTIONS="cc"`),
      2,
      'TYPE=CLOSED-CAPTIONS defines the group "cc"',
    ],
    [
      'an I-frame VIDEO group is defined',
      ['#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,CODECS="avc1.64001f",VIDEO="v",URI="i.m3u8"'],
      2,
      'TYPE=VIDEO defines the group "v"',
    ],
    [
      'at most one DEFAULT=YES per group (RFC 8216 §4.3.4.1.1)',
      [
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="A",DEFAULT=YES',
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="B",DEFAULT=YES',
        ...variant(ok),
      ],
      3,
      'group "a" has more than one DEFAULT=YES',
    ],
    [
      'a different NAME per group member (RFC 8216 §4.3.4.1.1)',
      [audio, audio.replace('a.m3u8', 'b.m3u8'), ...variant(ok)],
      3,
      'group "a" has two renditions named "English"',
    ],
    [
      'CLOSED-CAPTIONS have no URI',
      ['#EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID="cc",NAME="CC",INSTREAM-ID="CC1",URI="x"', ...variant(ok)],
      2,
      'EXT-X-MEDIA TYPE=CLOSED-CAPTIONS must not have a URI',
    ],
    [
      'CLOSED-CAPTIONS have INSTREAM-ID',
      ['#EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID="cc",NAME="CC"', ...variant(ok)],
      2,
      'needs INSTREAM-ID',
    ],
    [
      'other types have no INSTREAM-ID',
      ['#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="A",INSTREAM-ID="CC1"', ...variant(ok)],
      2,
      'EXT-X-MEDIA TYPE=AUDIO must not have INSTREAM-ID',
    ],
    [
      'a rendition has GROUP-ID',
      ['#EXT-X-MEDIA:TYPE=AUDIO,NAME="A",URI="a.m3u8"', ...variant(ok)],
      2,
      'EXT-X-MEDIA TYPE=AUDIO has no GROUP-ID',
    ],
    [
      'a rendition has NAME',
      ['#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="s",URI="s.m3u8"', ...variant(ok)],
      2,
      'EXT-X-MEDIA TYPE=SUBTITLES has no NAME',
    ],
    [
      'DEFAULT=YES goes with AUTOSELECT=YES',
      ['#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="A",DEFAULT=YES,AUTOSELECT=NO', ...variant(ok)],
      2,
      'DEFAULT=YES but AUTOSELECT=NO',
    ],
    [
      'PATHWAY-ID needs EXT-X-CONTENT-STEERING (bis §4.4.6.6)',
      [...variant(ok), ...variant(`${ok},PATHWAY-ID="p"`)],
      4,
      'v.m3u8 has PATHWAY-ID but there is no EXT-X-CONTENT-STEERING',
    ],
    [
      'EXT-X-CONTENT-STEERING needs variants with PATHWAY-ID',
      ['#EXT-X-CONTENT-STEERING:SERVER-URI="s"', ...variant(ok)],
      2,
      'no variant has a PATHWAY-ID',
    ],
    [
      'the steering PATHWAY-ID is a variant pathway',
      ['#EXT-X-CONTENT-STEERING:SERVER-URI="s",PATHWAY-ID="q"', ...variant(`${ok},PATHWAY-ID="p"`)],
      2,
      'PATHWAY-ID "q" is the PATHWAY-ID of no variant',
    ],
    [
      'a PATHWAY-ID uses [a-zA-Z0-9._-] only',
      ['#EXT-X-CONTENT-STEERING:SERVER-URI="s"', ...variant(`${ok},PATHWAY-ID="a b"`)],
      3,
      'PATHWAY-ID has characters outside [a-zA-Z0-9._-]',
    ],
    [
      'EXT-X-SESSION-DATA has VALUE or URI (RFC 8216 §4.3.4.4)',
      ['#EXT-X-SESSION-DATA:DATA-ID="d"', ...variant(ok)],
      2,
      'needs exactly one of VALUE and URI',
    ],
    [
      'EXT-X-SESSION-KEY is not METHOD=NONE (RFC 8216 §4.3.4.5)',
      ['#EXT-X-SESSION-KEY:METHOD=NONE', ...variant(ok)],
      2,
      'EXT-X-SESSION-KEY METHOD must not be NONE',
    ],
    [
      'INSTREAM-ID SERVICE values need version 7 (RFC 8216 §7)',
      [
        '#EXT-X-VERSION:6',
        '#EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID="cc",NAME="CC",INSTREAM-ID="SERVICE2"',
        ...variant(ok),
      ],
      3,
      'INSTREAM-ID SERVICE values needs EXT-X-VERSION 7 or more, the playlist has 6',
    ],
    [
      'PROGRAM-ID is gone from version 6 (RFC 8216 §7)',
      ['#EXT-X-VERSION:6', ...variant(`${ok},PROGRAM-ID=1`)],
      3,
      'PROGRAM-ID was removed in protocol version 6',
    ],
  ])('%s', (_, body, line, message) => {
    expect(onlyProblem(['#EXTM3U', ...body])).toEqual({
      code: INVALID,
      line,
      message: expect.stringContaining(message),
    });
  });

  it('collects several problems, in line order', () => {
    const problems = validateHlsPlaylist(
      ['#EXTM3U', ...variant('AUDIO="x"'), ...variant('BANDWIDTH=1,CODECS="c"')].join('\n'),
    );
    expect(problems.map((p) => [p.line, p.code])).toEqual([
      [2, INVALID],
      [2, INVALID],
      [2, INVALID],
    ]);
  });
});

describe('assertValidHlsPlaylist', () => {
  it('returns the parsed playlist when valid', () => {
    expect(assertValidHlsPlaylist(fixture('master.m3u8'))).toMatchObject({ kind: 'master' });
  });

  it('throws MANIFEST_ERR_INVALID with the problems for a semantic problem, MANIFEST_ERR_PARSE for a syntax one', () => {
    const semantic = (() => {
      try {
        assertValidHlsPlaylist('#EXTM3U\n#EXTINF:4,\na.ts\n');
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(isCdnError(semantic, INVALID)).toBe(true);
    expect((semantic as { details: { problems: unknown[] } }).details.problems).toEqual([
      { code: INVALID, line: 1, message: 'EXT-X-TARGETDURATION is missing' },
    ]);
    expect(() => assertValidHlsPlaylist('nope')).toThrow(
      expect.objectContaining({ code: 'MANIFEST_ERR_PARSE' }),
    );
  });
});
