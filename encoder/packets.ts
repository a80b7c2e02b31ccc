/** Pure analysis of an encode's video packets (from ffprobe's `-show_entries packet=...`). */

export interface PacketInfo {
  ptsS: number;
  sizeBytes: number;
  key: boolean;
}

/** Reads ffprobe's JSON packet listing; packets without a timestamp are skipped. */
export function parsePacketJson(text: string): PacketInfo[] {
  const parsed = JSON.parse(text) as { packets?: { pts_time?: string; size?: string; flags?: string }[] };
  const packets: PacketInfo[] = [];
  for (const p of parsed.packets ?? []) {
    const ptsS = Number(p.pts_time);
    const sizeBytes = Number(p.size);
    if (!Number.isFinite(ptsS) || !Number.isFinite(sizeBytes)) continue;
    packets.push({ ptsS, sizeBytes, key: (p.flags ?? '').includes('K') });
  }
  return packets.sort((a, b) => a.ptsS - b.ptsS);
}

export interface BitrateSummary {
  /** Total size over duration, in kbit/s. */
  averageKbps: number;
  /** The largest segment's size over its duration (what HLS BANDWIDTH means), in kbit/s. */
  peakKbps: number;
  sizeBytes: number;
  frames: number;
}

/** Average and per-segment peak rate of a video track cut into segments of `segmentDurationS`. */
export function bitrateSummary(
  packets: readonly PacketInfo[],
  durationS: number,
  segmentDurationS: number,
): BitrateSummary {
  const sizeBytes = packets.reduce((sum, p) => sum + p.sizeBytes, 0);
  const startS = packets[0]?.ptsS ?? 0;
  const segmentBytes = new Map<number, number>();
  for (const p of packets) {
    const index = Math.floor((p.ptsS - startS) / segmentDurationS + 1e-6);
    segmentBytes.set(index, (segmentBytes.get(index) ?? 0) + p.sizeBytes);
  }
  let peakKbps = 0;
  for (const [index, bytes] of segmentBytes) {
    const segmentLengthS = Math.min(segmentDurationS, durationS - index * segmentDurationS);
    // A last sliver shorter than a second would overstate the rate; count it as one second at least.
    const lengthS = Math.max(1, segmentLengthS);
    peakKbps = Math.max(peakKbps, (bytes * 8) / 1000 / lengthS);
  }
  return {
    averageKbps: durationS > 0 ? (sizeBytes * 8) / 1000 / durationS : 0,
    peakKbps,
    sizeBytes,
    frames: packets.length,
  };
}

/** Presentation times of the keyframes, rounded to the millisecond. */
export function keyframeTimesS(packets: readonly PacketInfo[]): number[] {
  return packets.filter((p) => p.key).map((p) => Math.round(p.ptsS * 1000) / 1000);
}

/** True when every track has its keyframes at the same times (a switchable ladder). */
export function keyframesAligned(tracks: readonly (readonly number[])[]): boolean {
  const first = tracks[0];
  if (!first) return true;
  return tracks.every((t) => t.length === first.length && t.every((v, i) => Math.abs(v - first[i]!) < 0.002));
}
