/**
 * Bounded, seeded fuzzing: whatever the bytes, validateMpd returns problems (never throws), parseMpd
 * returns or throws CdnError MANIFEST_ERR_PARSE, and what parses writes back to the same model.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/helpers/random.js';
import { isCdnError } from '../../common/errors.js';
import { parseMpd } from './parse.js';
import type { Mpd } from './types.js';
import { validateMpd } from './validate.js';
import { writeMpd } from './write.js';

const fixtureText = readFileSync(new URL('../testdata/shaka/manifest.mpd', import.meta.url), 'utf8');
const fixtureBytes = new TextEncoder().encode(fixtureText);

const stats = { inputs: 0, parsed: 0 };

/** The invariants every input must keep. */
function check(input: string | Uint8Array, label: string): void {
  stats.inputs++;
  const problems = validateMpd(input);
  for (const p of problems) {
    expect(['MANIFEST_ERR_PARSE', 'MANIFEST_ERR_INVALID'], label).toContain(p.code);
    expect(p.path !== undefined || p.line !== undefined, label).toBe(true);
    expect(p.message, label).not.toMatch(/internal error/);
  }
  let mpd: Mpd;
  try {
    mpd = parseMpd(input);
  } catch (error) {
    expect(isCdnError(error, 'MANIFEST_ERR_PARSE'), `${label}: ${String(error)}`).toBe(true);
    expect(
      problems.some((p) => p.code === 'MANIFEST_ERR_PARSE'),
      label,
    ).toBe(true);
    return;
  }
  stats.parsed++;
  expect(
    problems.every((p) => p.code === 'MANIFEST_ERR_INVALID'),
    label,
  ).toBe(true);
  expect(parseMpd(writeMpd(mpd)), label).toStrictEqual(mpd);
}

const XMLISH = [
  '<',
  '>',
  '</',
  '/>',
  '<MPD',
  '</MPD>',
  '<Period',
  '</Period>',
  '<AdaptationSet',
  '<Representation',
  '<S',
  '<SegmentTemplate',
  '<SegmentTimeline>',
  '<BaseURL>',
  '</BaseURL>',
  '<ContentSteering',
  ' ',
  '\n',
  '=',
  '"',
  "'",
  'id',
  'bandwidth',
  'd',
  't',
  'r',
  'xmlns',
  'xmlns:x',
  'x:y',
  'PT1S',
  'P',
  '-1',
  '0',
  '9007199254740993',
  '12',
  '$Number%05d$',
  '&amp;',
  '&',
  '&#0;',
  '&#x41;',
  '&lt',
  '<!--',
  '-->',
  '<![CDATA[',
  ']]>',
  '<?xml version="1.0"?>',
  '<!DOCTYPE MPD [<!ENTITY e "x">]>',
  '&e;',
  'true',
  'é',
  '\u0000',
  '\uFFFF',
  '\uD800',
  'constructor',
  '__proto__',
  'toString',
  ':',
  '#text',
  ':@',
];

function xmlish(random: () => number): string {
  const parts: string[] = [];
  const count = Math.floor(random() * 60);
  for (let i = 0; i < count; i++) parts.push(XMLISH[Math.floor(random() * XMLISH.length)]!);
  return parts.join('');
}

/** Fixture lines hold one tag each: dropping, doubling or swapping lines deletes or duplicates elements. */
function mutateStructure(random: () => number): string {
  const lines = fixtureText.split('\n');
  const pickLine = (): number => Math.floor(random() * lines.length);
  const edits = 1 + Math.floor(random() * 3);
  for (let e = 0; e < edits; e++) {
    const i = pickLine();
    const line = lines[i] ?? '';
    const attributes = [...line.matchAll(/\s[\w:]+="[^"]*"/g)].map((m) => m[0]);
    const attribute = attributes[Math.floor(random() * attributes.length)];
    switch (Math.floor(random() * 6)) {
      case 0:
        lines.splice(i, 1);
        break;
      case 1:
        lines.splice(i, 0, line);
        break;
      case 2: {
        const j = pickLine();
        [lines[i], lines[j]] = [lines[j] ?? '', line];
        break;
      }
      case 3:
        if (attribute) lines[i] = line.replace(attribute, '');
        break;
      case 4:
        if (attribute) lines[i] = line.replace(attribute, `${attribute}${attribute}`);
        break;
      default:
        if (attribute)
          lines[i] = line.replace(
            attribute,
            attribute.replace(/="[^"]*"/, `="${xmlish(random).slice(0, 12)}"`),
          );
    }
  }
  return lines.join('\n');
}

describe('fuzzing parseMpd / validateMpd / writeMpd', () => {
  it('holds the invariants on 3000+ seeded inputs', () => {
    const random = seededRandom(0xda5f);
    for (let i = 0; i < 600; i++) {
      const bytes = new Uint8Array(Math.floor(random() * 200));
      for (let k = 0; k < bytes.length; k++) bytes[k] = Math.floor(random() * 256);
      check(bytes, `random bytes #${i}`);
    }
    for (let i = 0; i < 600; i++) check(xmlish(random), `xml-ish text #${i}`);
    for (let offset = 0; offset <= fixtureText.length; offset += 3) {
      check(fixtureText.slice(0, offset), `truncated at ${offset}`);
    }
    for (let i = 0; i < 600; i++) {
      const bytes = fixtureBytes.slice();
      const flips = 1 + Math.floor(random() * 5);
      for (let k = 0; k < flips; k++) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      check(bytes, `byte mutation #${i}`);
    }
    for (let i = 0; i < 600; i++) check(mutateStructure(random), `structural mutation #${i}`);
    expect(stats.inputs).toBeGreaterThan(3000);
    // The mutations must reach the model too, not only the XML syntax checks.
    expect(stats.parsed).toBeGreaterThan(150);
  });

  it('stays fast on pathological inputs', () => {
    const started = performance.now();
    check(`<MPD>${'<a>'.repeat(50_000)}`, 'unclosed deep nesting');
    check(`<MPD a="${'x'.repeat(1_000_000)}"/>`, 'huge attribute');
    check(`<MPD ${Array.from({ length: 5000 }, (_, i) => `a${i}="${i}"`).join(' ')}/>`, 'many attributes');
    check(`<MPD>${'&amp;'.repeat(100_000)}</MPD>`, 'many references');
    check(`<MPD>${'<Period/>'.repeat(20_000)}</MPD>`, 'many Periods');
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});
