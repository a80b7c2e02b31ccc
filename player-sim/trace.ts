/**
 * Network throughput traces (pure: text in, validated model out).
 *
 * Two formats are read:
 * - Sabre JSON: `[{"duration_ms": 1000, "bandwidth_kbps": 4000, "latency_ms": 20}, ...]`, each entry a
 *   period of constant bandwidth (Spiteri et al., "Sabre", MMSys 2018);
 * - Pensieve's cooked text (also used with Mahimahi-derived traces): one `seconds Mbps` pair per line
 *   with cumulative timestamps. As in Pensieve's simulator (`env.py`: the throughput of line i holds
 *   from the timestamp of line i-1 to that of line i), line i's bandwidth fills the interval that ends
 *   at its timestamp, so the first line only sets the origin.
 */
import { PlayerErrorCode, playerError } from './errors.js';

/** One period of constant network conditions. 1 kbit/s is 1 bit per ms, which the network model uses. */
export interface TraceInterval {
  durationMs: number;
  bandwidthKbps: number;
  /** Time from a request to its first byte during this period (RTT plus server time), ms. */
  latencyMs: number;
}

export interface Trace {
  /** File name or caller-chosen label; reported with each session. */
  name: string;
  intervals: readonly TraceInterval[];
  /** Sum of the interval durations: the network model loops with this period. */
  durationMs: number;
}

/**
 * Latency given to text traces, which carry none: Pensieve's simulator adds an 80 ms link RTT to every
 * chunk request (`LINK_RTT = 80` in its `env.py`).
 */
export const DEFAULT_TEXT_TRACE_LATENCY_MS = 80;

export interface TextTraceOptions {
  /** Per-request latency for every interval, ms (default 80, Pensieve's LINK_RTT). */
  latencyMs?: number;
}

/**
 * Reads a trace in either format: text whose first non-blank character is `[` or `{` is JSON (Sabre),
 * anything else is `seconds Mbps` lines. Throws a CdnError with a trace code (docs/errors.md) on bad input.
 */
export function parseTrace(text: string, name: string, options: TextTraceOptions = {}): Trace {
  return /^\s*[[{]/.test(text) ? parseSabreTrace(text, name) : parseTextTrace(text, name, options);
}

/** Sabre JSON (text or already parsed). `latency_ms` may be omitted (0). */
export function parseSabreTrace(input: unknown, name: string): Trace {
  let data: unknown = input;
  if (typeof input === 'string') {
    try {
      data = JSON.parse(input);
    } catch (err) {
      throw playerError(PlayerErrorCode.TraceParse, `trace ${name}: not JSON: ${(err as Error).message}`);
    }
  }
  if (!Array.isArray(data)) {
    throw playerError(PlayerErrorCode.TraceParse, `trace ${name}: expected a JSON array of periods`);
  }
  const intervals = data.map((entry: unknown, i): TraceInterval => {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      throw playerError(PlayerErrorCode.TraceParse, `trace ${name}: entry ${i} is not an object`);
    }
    const record = entry as Record<string, unknown>;
    const at = `trace ${name}: entry ${i}`;
    return {
      durationMs: numberField(record.duration_ms, `${at} duration_ms`),
      bandwidthKbps: numberField(record.bandwidth_kbps, `${at} bandwidth_kbps`),
      latencyMs: record.latency_ms === undefined ? 0 : numberField(record.latency_ms, `${at} latency_ms`),
    };
  });
  return finishTrace(name, intervals);
}

/** Pensieve-style `seconds Mbps` lines (blank lines and `#` comments ignored; tabs or spaces). */
export function parseTextTrace(text: string, name: string, options: TextTraceOptions = {}): Trace {
  const latencyMs = options.latencyMs ?? DEFAULT_TEXT_TRACE_LATENCY_MS;
  if (!Number.isFinite(latencyMs) || latencyMs < 0) {
    throw playerError(PlayerErrorCode.InvalidOptions, `latencyMs must be a finite number >= 0`);
  }
  const points: Array<{ timeS: number; mbps: number; line: number }> = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    const at = `trace ${name}: line ${index + 1}`;
    if (fields.length !== 2) {
      throw playerError(
        PlayerErrorCode.TraceParse,
        `${at}: expected "seconds Mbps", got ${JSON.stringify(line)}`,
      );
    }
    points.push({
      timeS: numberText(fields[0]!, `${at} seconds`),
      mbps: numberText(fields[1]!, `${at} Mbps`),
      line: index + 1,
    });
  });
  if (points.length < 2) {
    throw playerError(
      PlayerErrorCode.TraceEmpty,
      `trace ${name}: needs at least two "seconds Mbps" lines (the first sets the time origin)`,
    );
  }
  const intervals: TraceInterval[] = [];
  for (let i = 1; i < points.length; i++) {
    const previous = points[i - 1]!;
    const point = points[i]!;
    if (!(point.timeS > previous.timeS)) {
      throw playerError(
        PlayerErrorCode.TraceTimeOrder,
        `trace ${name}: line ${point.line}: timestamp ${point.timeS} s does not increase (previous ${previous.timeS} s)`,
      );
    }
    intervals.push({
      durationMs: (point.timeS - previous.timeS) * 1000,
      bandwidthKbps: point.mbps * 1000,
      latencyMs,
    });
  }
  return finishTrace(name, intervals);
}

function numberField(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw playerError(
      PlayerErrorCode.TraceNotNumeric,
      `${what} must be a finite number, got ${JSON.stringify(value) ?? 'nothing'}`,
    );
  }
  if (value < 0) throw playerError(PlayerErrorCode.TraceNegative, `${what} is negative (${value})`);
  return value;
}

function numberText(text: string, what: string): number {
  // Number('') is 0 and Number('0x10') is 16: accept plain decimal notation only.
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text)) {
    throw playerError(
      PlayerErrorCode.TraceNotNumeric,
      `${what} must be a number, got ${JSON.stringify(text)}`,
    );
  }
  return numberField(Number(text), what);
}

/** Drops zero-length periods and checks that the trace can carry bytes at all. */
function finishTrace(name: string, all: readonly TraceInterval[]): Trace {
  const intervals = all.filter((interval) => interval.durationMs > 0);
  if (intervals.length === 0) {
    throw playerError(PlayerErrorCode.TraceEmpty, `trace ${name}: no period with a positive duration`);
  }
  if (!intervals.some((interval) => interval.bandwidthKbps > 0)) {
    throw playerError(
      PlayerErrorCode.TraceAllZero,
      `trace ${name}: every period has zero bandwidth, so no download could ever finish`,
    );
  }
  const durationMs = intervals.reduce((sum, interval) => sum + interval.durationMs, 0);
  return { name, intervals, durationMs };
}

/** Mean bandwidth of a trace over its duration, in kbit/s. */
export function meanBandwidthKbps(trace: Trace): number {
  const bits = trace.intervals.reduce((sum, i) => sum + i.durationMs * i.bandwidthKbps, 0);
  return bits / trace.durationMs;
}

/** A trace whose bandwidths are multiplied by `factor` (Sabre's `--network-multiplier`). */
export function scaleTrace(trace: Trace, factor: number, name = `${trace.name}x${factor}`): Trace {
  if (!Number.isFinite(factor) || factor <= 0) {
    throw playerError(PlayerErrorCode.InvalidOptions, `trace scale factor must be > 0, got ${factor}`);
  }
  return {
    name,
    intervals: trace.intervals.map((i) => ({ ...i, bandwidthKbps: i.bandwidthKbps * factor })),
    durationMs: trace.durationMs,
  };
}
