/**
 * The title id pattern alone, so that hot paths that only check ids (the edge's cache keys) do not
 * load the packaging and manifest library with it. titleFile.ts re-exports it.
 */

/** Title ids: lower-case letters, digits, `.`, `_`, `-`; safe as a path segment and in URLs. */
export const TITLE_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
