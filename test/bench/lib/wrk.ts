/**
 * wrk as the load generator (Debian `wrk`): one thread, N keep-alive connections, a fixed duration.
 * A small Lua script prints wrk's own summary and latency percentiles as one JSON line from
 * `done()`, so nothing is scraped from its human-readable report. /usr/bin/time gives wrk's CPU;
 * the servers' CPU comes from /proc, sampled before and after the run.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runProcess } from '../../../common/process.js';
import { groupCpuS, interruptSignal } from './processes.js';

/** Marks the JSON line among wrk's output. */
const JSON_MARK = 'WRK_JSON ';

/** The `done()` hook: wrk calls it once with the summary and the latency histogram (µs). */
const LUA_SCRIPT = `-- written by the benchmark at run time
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\n${JSON_MARK}{"requests":%d,"durationUs":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latencyUs":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f}}\\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
`;

/** Writes the Lua script into `dir` and returns its path. */
export async function writeWrkScript(dir: string): Promise<string> {
  const path = join(dir, 'bench-done.lua');
  await writeFile(path, LUA_SCRIPT);
  return path;
}

export interface WrkOptions {
  url: string;
  /** From writeWrkScript. */
  scriptPath: string;
  connections: number;
  durationS: number;
  /** Body bytes of one response, for the body throughput (wrk's bytes include headers). */
  bodyBytes: number;
  /**
   * A response slower than this counts as a timeout error and not in the latency histogram, in s:
   * 10 s, far above any p99 here, so that the tail is measured (wrk's default is 2 s).
   */
  timeoutS?: number;
  /** Process groups whose CPU is measured over the run (the server under test). */
  serverGroups?: readonly number[];
}

export interface WrkResult {
  requestsPerS: number;
  /** All bytes wrk read per second (headers included), like wrk's Transfer/sec. */
  transferBytesPerS: number;
  /** Body bytes per second as Gbit/s. */
  bodyGbitPerS: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Socket errors plus non-2xx/3xx answers. */
  errors: number;
  /** wrk's CPU (user + system) as a percentage of one core over the run. */
  wrkCpuPct: number;
  /** The servers' CPU as a percentage of one core over the run (200 = both cores). */
  serverCpuPct: number;
}

interface WrkJson {
  requests: number;
  durationUs: number;
  bytes: number;
  errors: Record<'connect' | 'read' | 'write' | 'status' | 'timeout', number>;
  latencyUs: { p50: number; p90: number; p99: number; max: number; mean: number };
}

async function cpuOf(groups: readonly number[]): Promise<number> {
  let total = 0;
  for (const g of groups) total += await groupCpuS(g);
  return total;
}

/** One wrk run; throws when wrk fails or reports nothing. */
export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const groups = options.serverGroups ?? [];
  const cpuBefore = await cpuOf(groups);
  const startedMs = performance.now();
  const res = await runProcess(
    '/usr/bin/time',
    [
      '-f',
      'WRK_CPU %U %S',
      'wrk',
      '-t1',
      `-c${options.connections}`,
      `-d${options.durationS}s`,
      `--timeout`,
      `${options.timeoutS ?? 10}s`,
      '-s',
      options.scriptPath,
      options.url,
    ],
    { captureStdout: true, allowNonZeroExit: true, signal: interruptSignal },
  );
  const wallS = (performance.now() - startedMs) / 1000;
  const serverCpuS = (await cpuOf(groups)) - cpuBefore;
  const line = res.stdout.split('\n').find((l) => l.startsWith(JSON_MARK));
  if (line === undefined) throw new Error(`wrk failed (${options.url}):\n${res.stdout}\n${res.stderrTail}`);
  const data = JSON.parse(line.slice(JSON_MARK.length)) as WrkJson;
  const cpu = /WRK_CPU ([\d.]+) ([\d.]+)/.exec(res.stderrTail);
  const durationS = data.durationUs / 1e6;
  const requestsPerS = data.requests / durationS;
  const us = data.latencyUs;
  return {
    requestsPerS,
    transferBytesPerS: data.bytes / durationS,
    bodyGbitPerS: (requestsPerS * options.bodyBytes * 8) / 1e9,
    latencyMs: {
      p50: us.p50 / 1e3,
      p90: us.p90 / 1e3,
      p99: us.p99 / 1e3,
      max: us.max / 1e3,
      mean: us.mean / 1e3,
    },
    errors: Object.values(data.errors).reduce((sum, n) => sum + n, 0),
    wrkCpuPct: cpu ? ((Number(cpu[1]) + Number(cpu[2])) / wallS) * 100 : Number.NaN,
    serverCpuPct: groups.length === 0 ? Number.NaN : (serverCpuS / wallS) * 100,
  };
}
