import { rm } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { resolveEncodeSettings, type EncodeOptionsInput } from '../../encoder/index.js';
import { summarizeTitle } from '../catalog.js';
import type { OriginConfig } from '../config.js';
import { OriginErrorCode, originError } from '../errors.js';
import { resolveIngestSource, saveUpload } from '../ingest.js';
import type { JobQueue } from '../jobs/queue.js';
import type { JobEncodeOptions, JobRecord } from '../jobs/types.js';
import type { DecayedCounter } from '../popularity.js';
import type { ContentStore } from '../store/types.js';
import {
  CREATE_TITLE_BODY_SCHEMA,
  ID_PARAMS_SCHEMA,
  JOB_SCHEMA,
  TITLE_ID_SCHEMA,
  UPLOAD_FIELDS_SCHEMA,
  errorResponses,
} from './schemas.js';

export interface TitlesPluginOptions {
  config: OriginConfig;
  store: ContentStore;
  queue: JobQueue;
  popularity: DecayedCounter;
}

interface CreateTitleBody {
  titleId: string;
  sourcePath: string;
  encode?: JobEncodeOptions;
}

/**
 * Cross-field checks of the encoder (floor below target, whole GOPs per segment, ...) before a job is
 * queued, so a bad request fails at once with 400 ENC_ERR_INVALID_OPTIONS instead of as a job.
 */
function checkEncodeOptions(encode: JobEncodeOptions): void {
  resolveEncodeSettings({ ...(encode as EncodeOptionsInput), outDir: 'unused' });
}

const jobAccepted = (job: JobRecord) => ({ jobId: job.id, job, links: { job: `/v1/jobs/${job.id}` } });

/** `/v1/titles`: publish (an encode job from a source on the host or an upload), catalog, unpublish. */
export function titlesPlugin(app: FastifyInstance, opts: TitlesPluginOptions): Promise<void> {
  const { config, store, queue } = opts;

  app.post(
    '/titles',
    {
      schema: {
        summary: 'Publish a title: queue an encode job (encode → package → publish)',
        description:
          'JSON: `{titleId, sourcePath, encode?}` with sourcePath inside the ingest directory. Or multipart/form-data with a `file` part and `titleId` (and optional `encode`, a JSON text) fields, size-limited.',
        tags: ['titles'],
        security: [{ bearer: [] }],
        body: { content: { 'application/json': { schema: CREATE_TITLE_BODY_SCHEMA } } },
        response: {
          202: {
            type: 'object',
            properties: {
              jobId: { type: 'string' },
              job: JOB_SCHEMA,
              links: { type: 'object', properties: { job: { type: 'string' } } },
            },
          },
          ...errorResponses(400, 401, 403, 404, 413, 415, 503),
        },
      },
    },
    async (request, reply) => {
      let job: JobRecord;
      if (request.isMultipart()) {
        job = await acceptUpload();
      } else {
        const body = request.body as CreateTitleBody;
        const encode = body.encode ?? {};
        checkEncodeOptions(encode);
        const sourcePath = await resolveIngestSource(config.ingestDir, body.sourcePath);
        job = await queue.submit({ titleId: body.titleId, sourcePath, uploaded: false, encode });
      }
      return reply.code(202).header('location', `/v1/jobs/${job.id}`).send(jobAccepted(job));

      async function acceptUpload(): Promise<JobRecord> {
        const fields: Record<string, string> = {};
        let uploadPath: string | undefined;
        try {
          for await (const part of request.parts({ limits: { fileSize: config.uploadMaxBytes } })) {
            if (part.type === 'file') {
              if (uploadPath !== undefined || part.fieldname !== 'file') {
                part.file.resume();
                throw originError(
                  OriginErrorCode.UploadInvalid,
                  'send exactly one file, in the part named "file"',
                );
              }
              uploadPath = await saveUpload(
                config.ingestDir,
                part.file,
                part.filename,
                () => part.file.truncated,
                config.uploadMaxBytes,
              );
            } else if (typeof part.value === 'string') {
              fields[part.fieldname] = part.value;
            }
          }
          if (uploadPath === undefined)
            throw originError(OriginErrorCode.UploadInvalid, 'no "file" part in the upload');
          let encode: unknown;
          try {
            encode = fields.encode === undefined ? undefined : JSON.parse(fields.encode);
          } catch {
            throw originError(OriginErrorCode.MalformedJson, 'the "encode" field is not JSON');
          }
          const input = { ...fields, ...(encode === undefined ? {} : { encode }) };
          if (!request.validateInput(input, UPLOAD_FIELDS_SCHEMA)) {
            throw originError(
              OriginErrorCode.BadRequest,
              'upload fields: titleId must be a title id, encode the encode options',
            );
          }
          const encodeOptions = (encode ?? {}) as JobEncodeOptions;
          checkEncodeOptions(encodeOptions);
          const submitted = await queue.submit({
            titleId: fields.titleId!,
            sourcePath: uploadPath,
            uploaded: true,
            encode: encodeOptions,
          });
          uploadPath = undefined; // the job owns it now
          return submitted;
        } finally {
          if (uploadPath !== undefined) await rm(uploadPath, { force: true });
        }
      }
    },
  );

  app.get(
    '/titles',
    {
      schema: {
        summary: 'The catalog: every published title with its versions, ladder and manifest URLs',
        tags: ['titles'],
        security: [{ bearer: [] }],
        response: { 200: { type: 'object', additionalProperties: true }, ...errorResponses(401, 403) },
      },
    },
    async () => {
      const titles = [];
      for (const record of await store.listTitles()) {
        titles.push(
          summarizeTitle(record, await store.readTitleFile(record.titleId, record.current.version)),
        );
      }
      return { titles };
    },
  );

  app.get(
    '/titles/:id',
    {
      schema: {
        summary: 'One title: versions, ladder summary (rungs with their measured quality), manifest URLs',
        tags: ['titles'],
        security: [{ bearer: [] }],
        params: ID_PARAMS_SCHEMA(TITLE_ID_SCHEMA),
        response: {
          200: { type: 'object', additionalProperties: true },
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const record = await store.getTitle(id);
      if (!record) throw originError(OriginErrorCode.TitleNotFound, `title ${id} is not published`);
      return summarizeTitle(record, await store.readTitleFile(id, record.current.version));
    },
  );

  app.delete(
    '/titles/:id',
    {
      schema: {
        summary: 'Unpublish a title: its content 404s at once and its versions are deleted',
        tags: ['titles'],
        security: [{ bearer: [] }],
        params: ID_PARAMS_SCHEMA(TITLE_ID_SCHEMA),
        response: { 204: { type: 'null' }, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!(await store.unpublish(id)))
        throw originError(OriginErrorCode.TitleNotFound, `title ${id} is not published`);
      opts.popularity.delete(id);
      return reply.code(204).send();
    },
  );
  return Promise.resolve();
}
