/** Reads a V8 `.cpuprofile` (node --cpu-prof) and ranks functions by self time. */
import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTimeRow {
  /** `function (file:line)`. */
  name: string;
  selfMs: number;
  /** Share of all sampled time, idle included. */
  pct: number;
}

/**
 * A time window to keep, as offsets before the profile's end in µs (the profile ends when the
 * process exits): samples taken from `fromEndUs` to `toEndUs` before the end are counted. Startup
 * (module loading) and shutdown fall outside the window of a load run.
 */
export interface ProfileWindow {
  fromEndUs: number;
  toEndUs: number;
}

/** Functions by self time, highest first (same function and place summed over its call sites). */
export function selfTimes(profile: CpuProfile, root = '', window?: ProfileWindow): SelfTimeRow[] {
  const byId = new Map<number, ProfileNode>(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, number>();
  let totalUs = 0;
  let atUs = profile.startTime;
  profile.samples.forEach((id, i) => {
    // timeDeltas[i] is the time before sample i; it is charged to the sampled node.
    const dt = profile.timeDeltas[i] ?? 0;
    atUs += dt;
    if (window !== undefined) {
      const beforeEndUs = profile.endTime - atUs;
      if (beforeEndUs > window.fromEndUs || beforeEndUs < window.toEndUs) return;
    }
    totalUs += dt;
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) return;
    const file = frame.url.replace(/^file:\/\//, '');
    const where =
      file === '' ? '' : ` (${root === '' ? file : relative(root, file)}:${frame.lineNumber + 1})`;
    const name = `${frame.functionName === '' ? '(anonymous)' : frame.functionName}${where}`;
    selfUs.set(name, (selfUs.get(name) ?? 0) + dt);
  });
  return [...selfUs]
    .map(([name, us]) => ({ name, selfMs: us / 1000, pct: totalUs === 0 ? 0 : (us / totalUs) * 100 }))
    .sort((a, b) => b.selfMs - a.selfMs);
}

/** The self-time ranking of the first `.cpuprofile` in `dir`, or undefined when there is none. */
export async function summariseProfileDir(
  dir: string,
  root = '',
  window?: ProfileWindow,
): Promise<SelfTimeRow[] | undefined> {
  const file = (await readdir(dir)).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) return undefined;
  const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile;
  return selfTimes(profile, root, window);
}
