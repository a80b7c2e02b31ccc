import { z } from 'zod';
import { ManifestErrorCode, manifestError, type ManifestProblem } from './errors.js';

/**
 * Content steering manifests: the JSON a player reloads every TTL to learn which pathway (HLS) or
 * service location (DASH) to use first. HLS: Apple "HLS Content Steering" 1.2 / draft-pantos-hls-rfc8216bis
 * §7.2; DASH: DASH-IF "Content Steering for DASH" (ETSI TS 103 998). One JSON shape can serve both
 * when it carries both priority lists.
 */
export const STEERING_MANIFEST_VERSION = 1;

/** Pathway ids: the HLS spec allows [a-zA-Z0-9], '.', '-' and '_' only. */
export const PATHWAY_ID_PATTERN = /^[A-Za-z0-9._-]+$/;

export interface SteeringManifest {
  VERSION: 1;
  /** Seconds until the player should reload the steering manifest. */
  TTL: number;
  /** Where to reload from (may carry session state in its query). */
  'RELOAD-URI'?: string;
  /** HLS: pathway ids, most preferred first. */
  'PATHWAY-PRIORITY'?: string[];
  /** DASH: serviceLocation ids, most preferred first. */
  'SERVICE-LOCATION-PRIORITY'?: string[];
}

export interface SteeringManifestInput {
  ttlS: number;
  reloadUri?: string;
  /** Edge ids, most preferred first; written as HLS pathways and DASH service locations. */
  priority: readonly string[];
  /** Which lists to write (default both). */
  formats?: ReadonlyArray<'hls' | 'dash'>;
}

/** Builds a steering manifest; throws MANIFEST_ERR_INVALID on a bad TTL or pathway id. */
export function buildSteeringManifest(input: SteeringManifestInput): SteeringManifest {
  const problems = steeringInputProblems(input);
  if (problems.length > 0) {
    throw manifestError(ManifestErrorCode.Invalid, `steering manifest: ${problems.join('; ')}`);
  }
  const formats = input.formats ?? ['hls', 'dash'];
  const manifest: SteeringManifest = { VERSION: STEERING_MANIFEST_VERSION, TTL: input.ttlS };
  if (input.reloadUri !== undefined) manifest['RELOAD-URI'] = input.reloadUri;
  if (formats.includes('hls')) manifest['PATHWAY-PRIORITY'] = [...input.priority];
  if (formats.includes('dash')) manifest['SERVICE-LOCATION-PRIORITY'] = [...input.priority];
  return manifest;
}

function steeringInputProblems(input: SteeringManifestInput): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(input.ttlS) || input.ttlS <= 0)
    problems.push(`TTL must be a positive integer (got ${input.ttlS})`);
  if (input.priority.length === 0) problems.push('the priority list is empty');
  const seen = new Set<string>();
  for (const id of input.priority) {
    if (!PATHWAY_ID_PATTERN.test(id))
      problems.push(`pathway id ${JSON.stringify(id)} has characters outside [A-Za-z0-9._-]`);
    if (seen.has(id)) problems.push(`pathway id ${JSON.stringify(id)} is listed twice`);
    seen.add(id);
  }
  if (input.reloadUri !== undefined && !URL.canParse(input.reloadUri, 'http://base.invalid/')) {
    problems.push(`RELOAD-URI ${JSON.stringify(input.reloadUri)} is not a URI`);
  }
  return problems;
}

const idList = z.array(z.string().regex(PATHWAY_ID_PATTERN)).min(1);
const steeringSchema = z
  .object({
    VERSION: z.literal(STEERING_MANIFEST_VERSION),
    TTL: z.number().int().positive(),
    'RELOAD-URI': z.string().min(1).optional(),
    'PATHWAY-PRIORITY': idList.optional(),
    'SERVICE-LOCATION-PRIORITY': idList.optional(),
  })
  .loose()
  .refine((m) => m['PATHWAY-PRIORITY'] !== undefined || m['SERVICE-LOCATION-PRIORITY'] !== undefined, {
    message: 'needs PATHWAY-PRIORITY or SERVICE-LOCATION-PRIORITY',
  });

/**
 * Parses steering manifest JSON (what a player does on each reload). Unknown keys such as
 * PATHWAY-CLONES are kept. Throws MANIFEST_ERR_PARSE for bytes that are not JSON and
 * MANIFEST_ERR_INVALID for JSON that breaks the rules, with `details.problems`.
 */
export function parseSteeringManifest(input: string | Uint8Array): SteeringManifest {
  let text: string;
  let json: unknown;
  try {
    text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input);
    json = JSON.parse(text);
  } catch (err) {
    throw manifestError(ManifestErrorCode.Parse, `steering manifest is not JSON: ${(err as Error).message}`);
  }
  const result = steeringSchema.safeParse(json);
  if (!result.success) {
    const problems: ManifestProblem[] = result.error.issues.map((issue) => ({
      code: ManifestErrorCode.Invalid,
      message: issue.message,
      path: issue.path.length > 0 ? issue.path.join('.') : 'document',
    }));
    throw manifestError(
      ManifestErrorCode.Invalid,
      `steering manifest: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
      { details: { problems } },
    );
  }
  return result.data as SteeringManifest;
}
