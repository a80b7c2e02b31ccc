import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerCors } from './cors.js';

let server: Server;
let base: string;
let handled = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (answerCors(req, res)) return;
    handled++;
    // Like the edge: the head goes out as a flat list, merged with what answerCors set.
    res.writeHead(200, ['cache-status', 'edge-1; hit', 'content-length', '2']);
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('answerCors', () => {
  it('adds nothing to a request without Origin', async () => {
    const res = await request(`${base}/content/x`);
    expect(await res.body.text()).toBe('ok');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-expose-headers']).toBeUndefined();
  });

  it('lets any origin read the body and Cache-Status of a cross-origin GET', async () => {
    const res = await request(`${base}/content/x`, { headers: { origin: 'http://127.0.0.1:9' } });
    expect(await res.body.text()).toBe('ok');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    const exposed = String(res.headers['access-control-expose-headers']).split(', ');
    expect(exposed).toEqual(expect.arrayContaining(['Cache-Status', 'Age', 'Content-Range', 'ETag']));
    expect(res.headers['cache-status']).toBe('edge-1; hit');
  });

  it('answers a preflight itself (204, GET and HEAD, CMCD and Range headers) without reaching the handler', async () => {
    const before = handled;
    const res = await request(`${base}/content/x`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://127.0.0.1:9',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'cmcd-request, range',
      },
    });
    expect(res.statusCode).toBe(204);
    expect(await res.body.text()).toBe('');
    expect(res.headers['access-control-allow-methods']).toBe('GET, HEAD');
    const allowed = String(res.headers['access-control-allow-headers']).toLowerCase().split(', ');
    expect(allowed).toEqual(
      expect.arrayContaining(['cmcd-request', 'cmcd-session', 'range', 'if-none-match']),
    );
    expect(Number(res.headers['access-control-max-age'])).toBeGreaterThan(0);
    expect(handled).toBe(before);
  });

  it('leaves an OPTIONS that is not a preflight to the handler', async () => {
    const before = handled;
    const res = await request(`${base}/content/x`, {
      method: 'OPTIONS',
      headers: { origin: 'http://a.test' },
    });
    await res.body.text();
    expect(handled).toBe(before + 1);
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });
});
