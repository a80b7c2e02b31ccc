import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { CdnError, CommonErrorCode } from './errors.js';

/**
 * Validates a part's configuration against its schema (which carries the defaults), and returns it
 * frozen. A bad value stops the caller with CDN_ERR_CONFIG_INVALID and a message that names the key.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  input: unknown,
  sourceName = 'config',
): Readonly<z.output<S>> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${formatKey(issue.path)}: ${issue.message}`);
    throw new CdnError(CommonErrorCode.ConfigInvalid, `invalid ${sourceName}: ${problems.join('; ')}`, {
      details: { problems },
    });
  }
  return deepFreeze(result.data);
}

function formatKey(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
    .join('.')
    .replace(/\.\[/g, '[');
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value as Record<string, unknown>)) deepFreeze(inner);
  }
  return value;
}

/** Reads an environment variable as undefined when it is unset or blank. */
export function envValue(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** Reads a JSON config file holding one object; CDN_ERR_CONFIG_INVALID naming the file otherwise. */
export async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CdnError(CommonErrorCode.ConfigInvalid, `cannot read ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new CdnError(CommonErrorCode.ConfigInvalid, `${path} is not JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CdnError(CommonErrorCode.ConfigInvalid, `${path} must hold a JSON object`);
  }
  return parsed as Record<string, unknown>;
}
