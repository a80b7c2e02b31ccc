/**
 * JSON Schemas of the API (fastify validates every input with them; @fastify/swagger turns them into
 * the OpenAPI document). Objects are closed: unknown properties are refused, not dropped.
 */
import { X264_PRESETS } from '../../encoder/index.js';
import { TITLE_ID_PATTERN } from '../../manifests/index.js';
import { JOB_STATES } from '../jobs/types.js';

export const TITLE_ID_SCHEMA = {
  type: 'string',
  pattern: TITLE_ID_PATTERN.source,
  description: 'lower-case letters, digits, ".", "_", "-"; at most 64',
} as const;

export const JOB_ID_SCHEMA = {
  type: 'string',
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
} as const;

const PRESETS = [...X264_PRESETS];

/** The encoder options a client may set: a safe subset (no paths, no overwrite, no concurrency). */
export const ENCODE_OPTIONS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    metric: { type: 'string', enum: ['vmaf', 'psnr', 'ssim'] },
    targetQuality: { type: 'number', exclusiveMinimum: 0 },
    floorQuality: { type: 'number', minimum: 0 },
    qualityStep: { type: 'number', exclusiveMinimum: 0 },
    floorBitrateKbps: { type: 'number', exclusiveMinimum: 0 },
    maxBitrateKbps: { type: 'number', exclusiveMinimum: 0 },
    minBitrateRatio: { type: 'number', minimum: 1.05, maximum: 4 },
    maxRungs: { type: 'integer', minimum: 1, maximum: 20 },
    resolutions: {
      type: 'array',
      minItems: 1,
      maxItems: 12,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['width', 'height'],
        properties: {
          width: { type: 'integer', minimum: 16, maximum: 8192 },
          height: { type: 'integer', minimum: 16, maximum: 8192 },
        },
      },
    },
    sampleCount: { type: 'integer', minimum: 1, maximum: 50 },
    sampleDurationS: { type: 'number', minimum: 1, maximum: 120 },
    segmentDurationS: { type: 'number', minimum: 1, maximum: 20 },
    gopDurationS: { type: 'number', minimum: 0.5, maximum: 10 },
    preset: { type: 'string', enum: PRESETS },
    searchPreset: { type: 'string', enum: PRESETS },
    vmafSubsample: { type: 'integer', minimum: 1, maximum: 30 },
    audioBitrateKbps: { type: 'integer', minimum: 32, maximum: 512 },
    verifyRungs: { type: 'boolean' },
  },
} as const;

export const CREATE_TITLE_BODY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['titleId', 'sourcePath'],
  properties: {
    titleId: TITLE_ID_SCHEMA,
    sourcePath: {
      type: 'string',
      minLength: 1,
      maxLength: 4096,
      description:
        'a file on the origin host, inside the ingest directory (relative paths are relative to it)',
    },
    encode: ENCODE_OPTIONS_SCHEMA,
  },
} as const;

/** The multipart fields besides the file (`encode` is a JSON text). */
export const UPLOAD_FIELDS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['titleId'],
  properties: {
    titleId: TITLE_ID_SCHEMA,
    encode: ENCODE_OPTIONS_SCHEMA,
  },
} as const;

export const ERROR_SCHEMA = {
  type: 'object',
  required: ['error', 'message'],
  properties: { error: { type: 'string' }, message: { type: 'string' } },
} as const;

export const JOB_SCHEMA = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    titleId: { type: 'string' },
    state: {
      type: 'string',
      enum: [...JOB_STATES],
    },
    progressPercent: { type: 'number' },
    message: { type: 'string' },
    source: { type: 'object', properties: { path: { type: 'string' }, uploaded: { type: 'boolean' } } },
    encode: { type: 'object', additionalProperties: true },
    createdAt: { type: 'string' },
    startedAt: { type: 'string' },
    finishedAt: { type: 'string' },
    timings: { type: 'object', additionalProperties: { type: 'number' } },
    result: { type: 'object', properties: { version: { type: 'string' }, publishedAt: { type: 'string' } } },
    error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
  },
} as const;

export const ID_PARAMS_SCHEMA = (id: object) =>
  ({ type: 'object', additionalProperties: false, required: ['id'], properties: { id } }) as const;

export const LIMIT_QUERY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
} as const;

/** Standard error responses for the OpenAPI document. */
export const errorResponses = (...statuses: number[]): Record<number, typeof ERROR_SCHEMA> =>
  Object.fromEntries(statuses.map((s) => [s, ERROR_SCHEMA]));
