import type { FastifyInstance, FastifyRequest } from 'fastify';
import { OriginErrorCode, originError } from '../errors.js';
import { bearerChecker } from '../http/auth.js';

export interface AuthOptions {
  /** The API token; undefined with `disabled`. */
  apiToken: string | undefined;
  /** A token that may only call routes marked `config: { readScope: true }`. */
  readToken: string | undefined;
  disabled: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The read-only token is accepted too (GET /v1/popularity, for edges). */
    readScope?: boolean;
  }
}

/**
 * Bearer-token protection of every route of the instance it is added to (the `/v1` scope):
 * 401 ORIGIN_ERR_UNAUTHORIZED with `WWW-Authenticate: Bearer` without a token (RFC 6750 §3),
 * 403 ORIGIN_ERR_FORBIDDEN with a wrong one.
 */
export function addBearerAuth(app: FastifyInstance, options: AuthOptions): void {
  if (options.disabled) return;
  const api = bearerChecker(options.apiToken === undefined ? [] : [options.apiToken]);
  const read = bearerChecker(
    [options.apiToken, options.readToken].filter((t): t is string => t !== undefined),
  );
  app.addHook('onRequest', (request: FastifyRequest, _reply, done) => {
    const check = request.routeOptions.config.readScope === true ? read : api;
    const decision = check(request.headers.authorization);
    switch (decision.kind) {
      case 'ok':
        return done();
      case 'missing':
        return done(
          originError(OriginErrorCode.Unauthorized, 'this API needs Authorization: Bearer <token>'),
        );
      case 'wrong':
        return done(originError(OriginErrorCode.Forbidden, 'the bearer token is not valid for this API'));
    }
  });
}
