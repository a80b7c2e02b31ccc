import { isCdnError } from '../../common/errors.js';

/** The CdnError code `work` throws; undefined when it returns, a marker when it throws something else. */
export function codeOf(work: () => unknown): string | undefined {
  try {
    work();
    return undefined;
  } catch (err) {
    return isCdnError(err) ? err.code : `not a CdnError: ${String(err)}`;
  }
}

/** The CdnError code a promise rejects with; undefined when it resolves. */
export async function codeOfAsync(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return isCdnError(err) ? err.code : `not a CdnError: ${String(err)}`;
  }
}
