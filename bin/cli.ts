import { CommanderError, InvalidArgumentError, Option } from 'commander';
import { isCdnError } from '../common/errors.js';

/** Exit codes of the `cdn` command. */
export const ExitCode = { Ok: 0, Failure: 1, Usage: 2 } as const;

/** Error codes that mean the user asked for something malformed (exit 2), not that work failed. */
const USAGE_CODES = new Set(['CDN_ERR_USAGE', 'ENC_ERR_INVALID_OPTIONS', 'CDN_ERR_CONFIG_INVALID']);

/** Prints an error the way every subcommand does and returns the exit code for it. */
export function reportFailure(err: unknown, stream: NodeJS.WritableStream = process.stderr): number {
  if (err instanceof CommanderError) {
    return err.code === 'commander.helpDisplayed' ||
      err.code === 'commander.version' ||
      err.code === 'commander.help'
      ? ExitCode.Ok
      : ExitCode.Usage;
  }
  if (isCdnError(err)) {
    stream.write(`error ${err.code}: ${err.message}\n`);
    return USAGE_CODES.has(err.code) ? ExitCode.Usage : ExitCode.Failure;
  }
  stream.write(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return ExitCode.Failure;
}

/** Option parsers that reject bad values with a message naming the option. */
export function numberOption(
  name: string,
  check: (n: number) => boolean = Number.isFinite,
  what = 'a number',
) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || !check(n)) {
      throw new InvalidArgumentError(`${name} must be ${what}, got '${value}'`);
    }
    return n;
  };
}

export const positiveNumber = (name: string) => numberOption(name, (n) => n > 0, 'a positive number');
export const positiveInteger = (name: string) =>
  numberOption(name, (n) => Number.isInteger(n) && n > 0, 'a positive integer');

/** Runs `work` with an AbortSignal that Ctrl-C (SIGINT) or SIGTERM fires; a second Ctrl-C exits at once. */
export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (name: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts > 1) process.exit(ExitCode.Failure);
    process.stderr.write(`\n${name}: cancelling, cleaning up (press Ctrl-C again to quit at once)\n`);
    controller.abort(new Error(`interrupted by ${name}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Parses a TCP port (0 picks a free one). */
export const portNumber = numberOption(
  '--port',
  (n) => Number.isInteger(n) && n >= 0 && n <= 65535,
  'a port number',
);

/** `--log-level`, shared by the long-running servers. */
export function logLevelOption(): Option {
  return new Option('--log-level <level>', 'log level (default info)').choices([
    'fatal',
    'error',
    'warn',
    'info',
    'debug',
    'trace',
    'silent',
  ]);
}
