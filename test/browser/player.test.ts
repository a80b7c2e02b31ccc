/**
 * The web player in a real browser (Debian's Chromium, playwright-core): the origin's `/player`
 * page asks steering for edges and plays a really packaged title with shaka-player (DASH) and
 * hls.js (HLS) from two real edges. Playback reaches 8 s without any player error, every segment
 * comes from the steered edge (read from the Cache-Status the edge sends across origins), the
 * player's CMCD reaches the edge and drives its prefetch, and when that edge dies mid-play the
 * player fails over to the next pathway and playback goes on.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { edgeSample } from '../player/httpHelpers.js';
import {
  CHROMIUM_MISSING,
  CLIENT,
  TITLE,
  TITLE_DURATION_S,
  launchChromium,
  playerState,
  startBrowserWorld,
  untilPlayer,
  type BrowserWorld,
} from './helpers.js';

if (CHROMIUM_MISSING !== undefined) console.warn(`browser tests skipped: ${CHROMIUM_MISSING}`);

/** Where screenshots go (git-ignored, outside vitest's include). */
const SCREENSHOT_DIR = join(import.meta.dirname, '../../tmp/browser');
/** Playback that must happen before the edge is killed, s (the bar). */
const CLEAN_PLAYBACK_S = 8;
/** Playback after the failover, s: a few segments fetched from the next pathway. */
const AFTER_FAILOVER_S = 4;
/** Buffer asked of the players, s: small, so the segments after the kill are not fetched yet. */
const BUFFER_S = 3;
/** Bound on reaching a position, ms: real time plus startup and a failover's retry back-off. */
const PLAY_TIMEOUT_MS = 40_000;

let world: BrowserWorld;
let context: BrowserContext;
const pages: Page[] = [];
/** Console errors and uncaught exceptions of each page (CSP violations, failed loads, script errors). */
const consoleErrors = new Map<Page, string[]>();

async function openPlayer(query: Record<string, string>): Promise<Page> {
  const page = await context.newPage();
  pages.push(page);
  const errors: string[] = [];
  consoleErrors.set(page, errors);
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
  await page.goto(`${world.originUrl}/player?${new URLSearchParams(query).toString()}`);
  return page;
}

async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
}

const cmcdOf = (url: string): string | undefined =>
  new URL(url, 'http://edge.invalid').searchParams.get('CMCD') ?? undefined;

describe.skipIf(CHROMIUM_MISSING !== undefined)('the web player in Chromium', () => {
  beforeAll(async () => {
    world = await startBrowserWorld();
    context = await launchChromium(world.dirs.root);
  });

  afterEach(async () => {
    for (const page of pages.splice(0)) await page.close().catch(() => undefined);
    consoleErrors.clear();
    await world.stopEdges();
  });

  afterAll(async () => {
    await context?.close();
    await world?.close();
  });

  it.each([
    { format: 'dash', library: /^shaka-player v?5\./ },
    { format: 'hls', library: /^hls\.js 1\./ },
  ])(
    '$format: plays 8 s from the steered edge with CMCD, then fails over when that edge dies',
    async ({ format, library }) => {
      await world.startEdges();
      const session = `browser-${format}`;
      const page = await openPlayer({
        title: TITLE,
        format,
        client_ip: CLIENT,
        session,
        buffer_s: String(BUFFER_S),
        dropped_frames_abr: 'off',
      });

      const clean = await untilPlayer(
        page,
        `${CLEAN_PLAYBACK_S} s of playback`,
        (s) => s.positionS >= CLEAN_PLAYBACK_S || s.errors.length > 0,
        PLAY_TIMEOUT_MS,
      );
      expect(clean.errors).toEqual([]);
      expect(consoleErrors.get(page)).toEqual([]);
      expect(clean.player).toMatch(library);
      expect(clean.edges).toEqual(['edge-a', 'edge-b']);
      expect(clean.rung?.height).toBeGreaterThan(0);
      expect(clean.bandwidthEstimateBps).toBeGreaterThan(0);
      // Every segment so far came from the steered edge, as its Cache-Status says (read across
      // origins: the edge exposes it).
      const media = clean.servedBy.filter((s) => !s.type.includes('init'));
      expect(media.length).toBeGreaterThanOrEqual(CLEAN_PLAYBACK_S);
      expect(new Set(clean.servedBy.map((s) => s.edge))).toEqual(new Set(['edge-a']));
      for (const s of clean.servedBy) expect(s.cacheStatus).toMatch(/^edge-a; (hit|fwd=)/);
      expect(clean.servedBy.some((s) => s.type.startsWith('audio'))).toBe(true);

      // The player's CMCD reached edge-a: its session id on segment requests from the page's
      // origin, and `nor` hints the edge acted on (prefetched, or found already cached).
      const atA = world.requests.get('edge-a')!.filter((r) => r.url.includes('.m4s'));
      expect(atA.length).toBeGreaterThan(0);
      expect(atA.every((r) => r.origin === world.originUrl)).toBe(true);
      const cmcd = atA.map((r) => cmcdOf(r.url)).filter((c) => c !== undefined);
      expect(cmcd.length).toBe(atA.length);
      expect(cmcd.every((c) => c.includes(`sid="${session}"`))).toBe(true);
      expect(cmcd.some((c) => c.includes('nor='))).toBe(true);
      const edgeA = world.edges.get('edge-a')!;
      expect(
        (await edgeSample(edgeA, 'cdn_edge_prefetch_total{outcome="issued"')) +
          (await edgeSample(edgeA, 'cdn_edge_prefetch_total{outcome="cached"')),
      ).toBeGreaterThan(0);
      expect(world.requests.get('edge-b')!.filter((r) => r.url.includes('.m4s'))).toEqual([]);

      // edge-a dies mid-play: the player moves to the next pathway (edge-b) and keeps playing.
      const killedAtS = clean.positionS;
      const servedBefore = clean.servedBy.length;
      world.kill('edge-a');
      const after = await untilPlayer(
        page,
        'playback to go on from edge-b',
        (s) =>
          s.errors.some((e) => e.fatal) ||
          (s.positionS >= Math.min(killedAtS + AFTER_FAILOVER_S, TITLE_DURATION_S - 1) &&
            s.servedBy.slice(servedBefore).some((x) => x.edge === 'edge-b')),
        PLAY_TIMEOUT_MS,
      );
      expect(after.errors.filter((e) => e.fatal)).toEqual([]);
      expect(after.positionS).toBeGreaterThan(killedAtS + AFTER_FAILOVER_S - 1);
      const later = after.servedBy.slice(servedBefore);
      expect(later.filter((s) => s.edge === 'edge-b').length).toBeGreaterThan(0);
      expect(after.edge).toBe('edge-b');
      // The player followed the manifest's content steering server (the origin's, same origin).
      expect(after.events.some((e) => e.type === 'steering-manifest')).toBe(true);
      expect(after.edgeChanges).toBeGreaterThanOrEqual(1);
      const atB = world.requests.get('edge-b')!.filter((r) => r.url.includes('.m4s'));
      expect(atB.length).toBeGreaterThan(0);
      expect(atB.every((r) => cmcdOf(r.url)?.includes(`sid="${session}"`))).toBe(true);
      await screenshot(page, `player-${format}`);
    },
  );

  it('shows a coded error for a title that is not published, and for a bad format', async () => {
    await world.startEdges();
    const missing = await openPlayer({ title: 'no-such-title', format: 'dash', client_ip: CLIENT });
    const s1 = await untilPlayer(missing, 'the steering error', (s) => s.errors.length > 0, 10_000);
    expect(s1.status).toBe('error');
    expect(s1.errors).toMatchObject([
      { source: 'steering', code: 'ORIGIN_ERR_TITLE_NOT_FOUND', fatal: true },
    ]);
    expect(await missing.locator('#errors').textContent()).toContain('ORIGIN_ERR_TITLE_NOT_FOUND');

    const badFormat = await openPlayer({ title: TITLE, format: 'mp4' });
    const s2 = await untilPlayer(badFormat, 'the format error', (s) => s.errors.length > 0, 10_000);
    expect(s2.errors).toMatchObject([{ source: 'page', code: 'bad-format', fatal: true }]);
    // Nothing was asked of the edges for either page.
    expect(world.requests.get('edge-a')).toEqual([]);
    await screenshot(missing, 'player-error');
    // The page with no title is the form.
    const form = await openPlayer({});
    expect((await playerState(form)).status).toBe('idle');
    expect(await form.locator('form#choose input[name="title"]').count()).toBe(1);
  });
});
