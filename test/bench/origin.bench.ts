/**
 * Origin serving benchmark (not in CI): requests per second and Gbit/s for a 2 KB playlist and a
 * 1 MiB segment served from the filesystem store, against nginx serving the same version directory
 * statically (2 workers, sendfile off and on, the better taken), in the same run.
 *
 *   npm run build && node dist/test/bench/origin.bench.js [--quick] [--duration S] [--rounds N]
 *   (or BENCH_DURATION_S=10 BENCH_RUNS=3 BENCH_CONNECTIONS=64; see test/bench/lib/options.ts)
 *
 * Load: wrk -t1 -cN -dS (apt-get install wrk nginx). Runs alternate origin / nginx-off / nginx-on and
 * the median of the rounds is reported; wrk shares the two cores, so its CPU time is reported too.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startNginx, type Nginx } from './lib/nginx.js';
import { loadBenchOptions } from './lib/options.js';
import { startBenchOrigin } from './lib/origin.js';
import { runBench, tempDir } from './lib/processes.js';
import { MIB, fmt, median } from './lib/stats.js';
import { runWrk, writeWrkScript, type WrkResult } from './lib/wrk.js';

const { options } = loadBenchOptions();

function staticNginx(dir: string, root: string, sendfile: boolean): Promise<Nginx> {
  return startNginx({
    dir,
    name: `nginx sendfile ${sendfile ? 'on' : 'off'}`,
    sendfile,
    http: (port) => `
  types { application/vnd.apple.mpegurl m3u8; video/mp4 m4s mp4; application/dash+xml mpd; }
  server {
    listen 127.0.0.1:${port};
    root ${root};
    etag on;
  }`,
  });
}

async function main(): Promise<void> {
  const root = await tempDir('origin-bench-');
  // 76 segments make a ~2 KB media playlist; video segments are 1 MiB.
  const origin = await startBenchOrigin(root, [{ titleId: 'bench', segmentBytes: MIB, segmentCount: 76 }]);
  const versionDir = origin.versionDir('bench');
  const objects = [
    { name: '2 KB playlist', path: 'video/v0/playlist.m3u8' },
    { name: '1 MiB segment', path: 'video/v0/00001.m4s' },
  ];
  const nginxOff = await staticNginx(join(root, 'nginx-off'), versionDir, false);
  const nginxOn = await staticNginx(join(root, 'nginx-on'), versionDir, true);
  const servers = [
    { name: 'origin', url: (p: string) => `${origin.url}${origin.contentPath('bench', p)}`, groups: [] },
    { name: nginxOff.name, url: (p: string) => `${nginxOff.url}/${p}`, groups: [nginxOff.pid] },
    { name: nginxOn.name, url: (p: string) => `${nginxOn.url}/${p}`, groups: [nginxOn.pid] },
  ];
  const scriptPath = await writeWrkScript(root);
  console.log(
    `wrk -t1 -c${options.connections} -d${options.durationS}s, median of ${options.rounds} alternating runs, 2 cores shared with wrk`,
  );
  for (const object of objects) {
    const sample = await readFile(join(versionDir, object.path));
    const check = Buffer.from(await (await fetch(servers[0]!.url(object.path))).arrayBuffer());
    if (!check.equals(sample)) throw new Error('the origin serves different bytes than the store holds');
    const results = new Map<string, WrkResult[]>(servers.map((s) => [s.name, []]));
    for (let i = 0; i < options.rounds; i++) {
      for (const server of servers) {
        // The origin runs in this process: its CPU is this process's over the run.
        const cpuBefore = process.cpuUsage();
        const r = await runWrk({
          url: server.url(object.path),
          scriptPath,
          connections: options.connections,
          durationS: options.durationS,
          bodyBytes: sample.length,
          serverGroups: server.groups,
        });
        if (server.groups.length === 0) {
          const used = process.cpuUsage(cpuBefore);
          r.serverCpuPct = ((used.user + used.system) / 1e6 / options.durationS) * 100;
        }
        results.get(server.name)!.push(r);
      }
    }
    const summary = servers.map((s) => {
      const r = results.get(s.name)!;
      return {
        name: s.name,
        rps: median(r.map((x) => x.requestsPerS)),
        gbit: median(r.map((x) => x.bodyGbitPerS)),
        p99Ms: median(r.map((x) => x.latencyMs.p99)),
        serverCpuPct: median(r.map((x) => x.serverCpuPct)),
        wrkCpuPct: median(r.map((x) => x.wrkCpuPct)),
        errors: r.reduce((sum, x) => sum + x.errors, 0),
      };
    });
    const originSummary = summary[0]!;
    const nginx = summary.slice(1).reduce((best, s) => (s.rps > best.rps ? s : best));
    console.log(`\n${object.name} (${sample.length} bytes)`);
    for (const s of summary) {
      console.log(
        `  ${s.name.padEnd(20)} ${fmt(s.rps).padStart(8)} req/s  ${fmt(s.gbit, 2).padStart(6)} Gbit/s  p99 ${fmt(s.p99Ms, 2)} ms  ` +
          `server CPU ${fmt(s.serverCpuPct)}%  wrk CPU ${fmt(s.wrkCpuPct)}%  errors ${s.errors}`,
      );
    }
    console.log(`  origin / best nginx (${nginx.name}): ${fmt(originSummary.rps / nginx.rps, 2)}`);
  }
}

await runBench(main);
