import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { envValue, loadConfig } from './config.js';
import { isCdnError } from './errors.js';

const schema = z.object({
  listen: z
    .object({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(8080) })
    .default({
      host: '127.0.0.1',
      port: 8080,
    }),
  peers: z.array(z.object({ url: z.string().url() })).default([]),
});

describe('loadConfig', () => {
  it('fills defaults and freezes the result deeply', () => {
    const config = loadConfig(schema, {});
    expect(config).toEqual({ listen: { host: '127.0.0.1', port: 8080 }, peers: [] });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.listen)).toBe(true);
    expect(() => {
      (config.listen as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('names the bad key, nested and in arrays', () => {
    let err: unknown;
    try {
      loadConfig(schema, { listen: { port: 70000 }, peers: [{ url: 'x' }] }, 'edge config');
    } catch (e) {
      err = e;
    }
    expect(isCdnError(err, 'CDN_ERR_CONFIG_INVALID')).toBe(true);
    const message = (err as Error).message;
    expect(message).toContain('edge config');
    expect(message).toContain('listen.port');
    expect(message).toContain('peers[0].url');
  });
});

describe('envValue', () => {
  it('treats unset and blank as undefined', () => {
    expect(envValue({ A: '  ' }, 'A')).toBeUndefined();
    expect(envValue({}, 'A')).toBeUndefined();
    expect(envValue({ A: '/x' }, 'A')).toBe('/x');
  });
});
