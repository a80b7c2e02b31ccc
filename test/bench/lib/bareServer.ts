/**
 * The platform's ceiling for the edge benchmark, run as its own process: a bare `node:http` server
 * answering GETs from a `Map` of the same bytes and headers the origin serves (fetched once at
 * start), one writeHead and one end per request. With `--workers N` (N > 1) node:cluster runs N
 * copies sharing the port.
 *
 *   node bareServer.js --port P --workers N --origin http://127.0.0.1:8080 /content/a /content/b ...
 *
 * Prints `bare listening on http://127.0.0.1:P` once every worker listens.
 */
import cluster from 'node:cluster';
import { createServer, type OutgoingHttpHeaders } from 'node:http';
import { parseArgs } from 'node:util';

/** The origin headers kept with each body (what the edge passes through too). */
const KEPT_HEADERS = ['content-type', 'etag', 'last-modified', 'cache-control'] as const;

interface Stored {
  headers: OutgoingHttpHeaders;
  body: Buffer;
}

async function load(origin: string, paths: readonly string[]): Promise<Map<string, Stored>> {
  const objects = new Map<string, Stored>();
  for (const path of paths) {
    const res = await fetch(`${origin}${path}`);
    if (res.status !== 200) throw new Error(`origin answered ${res.status} for ${path}`);
    const body = Buffer.from(await res.arrayBuffer());
    const headers: OutgoingHttpHeaders = { 'content-length': String(body.length) };
    for (const name of KEPT_HEADERS) {
      const value = res.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    objects.set(path, { headers, body });
  }
  return objects;
}

async function serve(port: number, origin: string, paths: readonly string[]): Promise<void> {
  const objects = await load(origin, paths);
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const hit = objects.get(req.url ?? '');
    if (hit === undefined) {
      res.writeHead(404, { 'content-length': '0' });
      res.end();
      return;
    }
    res.writeHead(200, hit.headers);
    res.end(req.method === 'HEAD' ? undefined : hit.body);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
}

async function main(): Promise<void> {
  // Exit normally on SIGTERM, so that `node --cpu-prof` writes its profile.
  process.on('SIGTERM', () => process.exit(0));
  const { values, positionals } = parseArgs({
    options: {
      port: { type: 'string' },
      workers: { type: 'string', default: '1' },
      origin: { type: 'string' },
    },
    allowPositionals: true,
  });
  const port = Number(values.port);
  const workers = Number(values.workers);
  if (!Number.isInteger(port) || port <= 0 || values.origin === undefined || positionals.length === 0) {
    throw new Error('usage: bareServer --port P [--workers N] --origin URL PATH...');
  }
  const ready = `bare listening on http://127.0.0.1:${port}`;
  if (workers <= 1) {
    await serve(port, values.origin, positionals);
    console.log(ready);
    return;
  }
  if (cluster.isPrimary) {
    let listening = 0;
    cluster.on('listening', () => {
      if (++listening === workers) console.log(ready);
    });
    cluster.on('exit', (_worker, code) => {
      if (code !== 0) process.exit(1);
    });
    for (let i = 0; i < workers; i++) cluster.fork();
    return;
  }
  await serve(port, values.origin, positionals);
}

await main();
