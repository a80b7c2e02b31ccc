import { SingleBar } from 'cli-progress';

export interface ProgressUpdate {
  phase: string;
  percent: number;
  message: string;
}

export interface ProgressReporter {
  update(progress: ProgressUpdate): void;
  stop(): void;
}

/**
 * A progress bar on a terminal (cli-progress), plain log lines otherwise: one line per new message,
 * to standard error so standard output stays clean for results.
 */
export function createProgressReporter(stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  if (stream.isTTY) {
    const bar = new SingleBar(
      {
        format: '{phase} [{bar}] {percentage}% | {message}',
        barsize: 30,
        hideCursor: true,
        stream,
        clearOnComplete: false,
        etaBuffer: 20,
      },
      undefined,
    );
    let started = false;
    return {
      update(p) {
        const payload = { phase: p.phase.padEnd(9), message: p.message.slice(0, 70) };
        if (!started) {
          bar.start(100, p.percent, payload);
          started = true;
        } else {
          bar.update(p.percent, payload);
        }
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let last = '';
  return {
    update(p) {
      if (p.message === last) return;
      last = p.message;
      stream.write(`[${p.phase} ${p.percent.toFixed(0).padStart(3)}%] ${p.message}\n`);
    },
    stop() {},
  };
}
