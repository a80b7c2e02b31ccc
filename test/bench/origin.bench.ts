/**
 * Origin serving benchmark (not in CI): requests per second and Gbit/s for a 2 KB playlist and a
 * 1 MiB segment served from the filesystem store, against nginx serving the same version directory
 * statically (2 workers, sendfile off and on, the better taken), in the same run.
 *
 *   node --import tsx test/bench/origin.bench.ts          (BENCH_DURATION_S=10 BENCH_RUNS=3 BENCH_CONNECTIONS=64)
 *
 * Load: wrk -t1 -cN -dS (apt-get install wrk nginx). Runs alternate origin / nginx-off / nginx-on and
 * the median of BENCH_RUNS is reported; wrk shares the two cores, so its CPU time is reported too.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMetricsRegistry } from '../../common/metrics.js';
import { buildOriginApp } from '../../origin/app.js';
import { originConfigFromInput } from '../../origin/config.js';
import { writeFakePackage } from '../../origin/store/fixtures.js';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);

interface WrkResult {
  requestsPerS: number;
  gbitPerS: number;
  wrkCpuS: number;
  errors: number;
}

function run(
  command: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function wrk(url: string, bodyBytes: number): Promise<WrkResult> {
  // /usr/bin/time reports wrk's own CPU (user + system seconds) on stderr.
  const res = await run('/usr/bin/time', [
    '-f',
    'cpu %U %S',
    'wrk',
    '-t1',
    `-c${CONNECTIONS}`,
    `-d${DURATION_S}s`,
    '--latency',
    url,
  ]);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(res.stdout);
  if (!rps) throw new Error(`wrk failed: ${res.stdout}\n${res.stderr}`);
  const cpu = /cpu ([\d.]+) ([\d.]+)/.exec(res.stderr);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(res.stdout);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
    res.stdout,
  );
  const requestsPerS = Number(rps[1]);
  return {
    requestsPerS,
    // Body bytes only (wrk's Transfer/sec also counts headers).
    gbitPerS: (requestsPerS * bodyBytes * 8) / 1e9,
    wrkCpuS: cpu ? Number(cpu[1]) + Number(cpu[2]) : Number.NaN,
    errors:
      Number(non2xx?.[1] ?? 0) +
      (socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function startNginx(
  root: string,
  dir: string,
  sendfile: boolean,
): Promise<{ port: number; stop: () => Promise<void> }> {
  const port = await freePort();
  const conf = join(dir, `nginx-${sendfile ? 'sendfile' : 'nosendfile'}.conf`);
  await writeFile(
    conf,
    `worker_processes 2;
daemon off;
user root;
pid ${dir}/nginx-${port}.pid;
error_log ${dir}/error-${port}.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile ${sendfile ? 'on' : 'off'};
  tcp_nopush on;
  keepalive_requests 1000000;
  types { application/vnd.apple.mpegurl m3u8; video/mp4 m4s mp4; application/dash+xml mpd; }
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    etag on;
  }
}
`,
  );
  const child = spawn('nginx', ['-p', dir, '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/manifest.mpd`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGQUIT');
      }),
  };
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'origin-bench-'));
  // nginx workers read the files too.
  await chmod(root, 0o755);
  const dataDir = join(root, 'data');
  const pkg = join(root, 'pkg');
  // 76 segments make a ~2 KB media playlist; video segments are 1 MiB.
  const title = await writeFakePackage(pkg, {
    titleId: 'bench',
    segmentBytes: 1024 * 1024,
    segmentCount: 76,
  });
  const app = await buildOriginApp({
    config: originConfigFromInput({ dataDir, authDisabled: true, logLevel: 'silent', port: 0 }),
    registry: createMetricsRegistry({ processMetrics: false }),
    createPipeline: () => () => Promise.reject(new Error('no jobs in the benchmark')),
  });
  await app.origin.store.publish(pkg);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const originPort = typeof address === 'object' && address ? address.port : 0;
  const versionDir = join(dataDir, 'titles', 'bench', 'versions', title.version);
  for (const d of [
    dataDir,
    join(dataDir, 'titles'),
    join(dataDir, 'titles', 'bench'),
    join(dataDir, 'titles', 'bench', 'versions'),
  ]) {
    await chmod(d, 0o755);
  }
  const objects = [
    { name: '2 KB playlist', path: 'video/v0/playlist.m3u8' },
    { name: '1 MiB segment', path: 'video/v0/00001.m4s' },
  ];
  const nginxDir = join(root, 'nginx');
  await run('mkdir', ['-p', nginxDir]);
  const nginxOff = await startNginx(versionDir, nginxDir, false);
  const nginxOn = await startNginx(versionDir, nginxDir, true);
  const servers = [
    {
      name: 'origin',
      url: (p: string) => `http://127.0.0.1:${originPort}/content/bench/v/${title.version}/${p}`,
    },
    { name: 'nginx sendfile off', url: (p: string) => `http://127.0.0.1:${nginxOff.port}/${p}` },
    { name: 'nginx sendfile on', url: (p: string) => `http://127.0.0.1:${nginxOn.port}/${p}` },
  ];
  console.log(
    `wrk -t1 -c${CONNECTIONS} -d${DURATION_S}s, median of ${RUNS} alternating runs, 2 cores shared with wrk`,
  );
  try {
    for (const object of objects) {
      const bodyBytes = (await stat(join(versionDir, object.path))).size;
      const sample = await readFile(join(versionDir, object.path));
      const check = Buffer.from(await (await fetch(servers[0]!.url(object.path))).arrayBuffer());
      if (!check.equals(sample)) throw new Error('the origin serves different bytes than the store holds');
      const results = new Map<string, WrkResult[]>(servers.map((s) => [s.name, []]));
      for (let i = 0; i < RUNS; i++) {
        for (const server of servers)
          results.get(server.name)!.push(await wrk(server.url(object.path), bodyBytes));
      }
      const summary = servers.map((s) => {
        const r = results.get(s.name)!;
        return {
          name: s.name,
          rps: median(r.map((x) => x.requestsPerS)),
          gbit: median(r.map((x) => x.gbitPerS)),
          wrkCpuPct: median(r.map((x) => (x.wrkCpuS / DURATION_S) * 100)),
          errors: r.reduce((sum, x) => sum + x.errors, 0),
        };
      });
      const origin = summary[0]!;
      const nginx = summary.slice(1).reduce((best, s) => (s.rps > best.rps ? s : best));
      console.log(`\n${object.name} (${bodyBytes} bytes)`);
      for (const s of summary) {
        console.log(
          `  ${s.name.padEnd(20)} ${s.rps.toFixed(0).padStart(8)} req/s  ${s.gbit.toFixed(2).padStart(6)} Gbit/s  wrk CPU ${s.wrkCpuPct.toFixed(0)}%  errors ${s.errors}`,
        );
      }
      console.log(`  origin / best nginx (${nginx.name}): ${(origin.rps / nginx.rps).toFixed(2)}`);
    }
  } finally {
    await nginxOff.stop();
    await nginxOn.stop();
    await app.close();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
