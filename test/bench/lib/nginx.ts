/**
 * nginx from Debian as the benchmarks' baseline: foreground (`daemon off;`), its own prefix, pid
 * file, error log and temp dirs under a temp dir, 2 workers (one per core here), no access log.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { answersHttp, freePort, startChild, type ChildServer } from './processes.js';

export const NGINX_PATH = '/usr/sbin/nginx';

export interface NginxOptions {
  /** The instance's own directory (created): config, pid, logs, temp and cache dirs. */
  dir: string;
  name: string;
  sendfile: boolean;
  /** Worker processes: 2, one per core of the benchmark machine. */
  workers?: number;
  /** Directives inside `http {}` after the common ones (a `server` listening on `port`, upstreams...). */
  http: (port: number, dir: string) => string;
}

export interface Nginx {
  name: string;
  port: number;
  /** `http://127.0.0.1:port`. */
  url: string;
  /** The master's pid, leader of the group that holds the workers. */
  pid: number;
  server: ChildServer;
  stop(): Promise<void>;
}

/** Starts nginx in the foreground and waits until it answers HTTP. */
export async function startNginx(options: NginxOptions): Promise<Nginx> {
  const { dir } = options;
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  await writeFile(
    conf,
    `worker_processes ${options.workers ?? 2};
daemon off;
${process.getuid?.() === 0 ? 'user root;' : ''}
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile ${options.sendfile ? 'on' : 'off'};
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${options.http(port, dir)}
}
`,
  );
  const url = `http://127.0.0.1:${port}`;
  const server = await startChild({
    name: options.name,
    command: NGINX_PATH,
    args: ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')],
    readyProbe: () => answersHttp(`${url}/`),
  });
  return { name: options.name, port, url, pid: server.pid, server, stop: () => server.stop('SIGTERM') };
}
