import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

export interface LoggerSettings {
  level?: LoggerOptions['level'];
  /** Where to write; defaults to standard error so that standard output stays for results. */
  destination?: NodeJS.WritableStream;
  name?: string;
}

/** The product's logger: pino, JSON lines, to standard error by default. */
export function createLogger(settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = { level: settings.level ?? 'info' };
  if (settings.name !== undefined) options.name = settings.name;
  return pino(options, settings.destination ?? process.stderr);
}

/** A logger that discards everything, for tests and library callers that pass none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
