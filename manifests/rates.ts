/**
 * Bit rates of packaged segments: what HLS BANDWIDTH / AVERAGE-BANDWIDTH and DASH @bandwidth mean,
 * computed from the bytes a player will really download.
 */
export interface SizedSegment {
  sizeBytes: number;
  durationS: number;
}

/** Largest per-segment rate in bit/s (RFC 8216 §4.3.4.2: BANDWIDTH is the peak segment bit rate). */
export function peakSegmentRateBps(segments: readonly SizedSegment[]): number {
  let peak = 0;
  for (const s of segments) if (s.durationS > 0) peak = Math.max(peak, (s.sizeBytes * 8) / s.durationS);
  return Math.ceil(peak);
}

/** Total bits over total duration in bit/s (RFC 8216 §4.3.4.2 AVERAGE-BANDWIDTH). */
export function averageRateBps(segments: readonly SizedSegment[]): number {
  let bits = 0;
  let durationS = 0;
  for (const s of segments) {
    bits += s.sizeBytes * 8;
    durationS += s.durationS;
  }
  return durationS > 0 ? Math.ceil(bits / durationS) : 0;
}

/**
 * DASH @bandwidth (ISO/IEC 23009-1 §5.3.5.2): the smallest constant rate B such that a client that
 * starts playing after minBufferTime has elapsed never stalls, each media sample arriving by its
 * presentation time. With a segment's bits spread evenly over its duration, the binding deadlines
 * are the segment ends: everything up to the end of segment k must have arrived by
 * minBufferTime + end_k, so B = max_k (bits of segments 0..k) / (minBufferTimeS + end_k).
 * For a constant-rate stream this is just under that rate; a big segment early raises it.
 */
export function dashBandwidthBps(segments: readonly SizedSegment[], minBufferTimeS: number): number {
  let bits = 0;
  let endS = 0;
  let rate = 0;
  for (const s of segments) {
    bits += s.sizeBytes * 8;
    endS += s.durationS;
    const deadlineS = minBufferTimeS + endS;
    if (deadlineS > 0) rate = Math.max(rate, bits / deadlineS);
  }
  return Math.ceil(rate);
}
