import type { RdPoint } from './types.js';

function assertFinitePoint(point: RdPoint, where: string): void {
  if (!Number.isFinite(point.bitrateKbps) || !Number.isFinite(point.quality)) {
    throw new RangeError(
      `${where}: non-finite point (${point.bitrateKbps} kbit/s, quality ${point.quality})`,
    );
  }
}

/**
 * The non-dominated points (Pareto front) in (bitrateKbps, quality): sorted by ascending bitrate, with
 * bitrate and quality both strictly increasing. A point is dropped when another point has lower-or-equal
 * bitrate and higher-or-equal quality (of exact duplicates, the first in input order is kept).
 * Keeps the original objects.
 *
 * @throws RangeError on a non-finite bitrate or quality.
 */
export function paretoFront<T extends RdPoint>(points: readonly T[]): T[] {
  for (const point of points) assertFinitePoint(point, 'paretoFront');
  // Ascending bitrate; at equal bitrate the best quality first so that the others are dropped.
  // Array.prototype.sort is stable, so exact duplicates keep input order.
  const sorted = [...points].sort((a, b) => a.bitrateKbps - b.bitrateKbps || b.quality - a.quality);
  const front: T[] = [];
  for (const point of sorted) {
    const last = front[front.length - 1];
    if (last === undefined || point.quality > last.quality) front.push(point);
  }
  return front;
}

/**
 * Upper-left convex hull in (bitrateKbps, quality) space, as used by per-title encoding (Netflix's
 * convex-hull method): the points an ideal encoder would choose from, since any point below the hull is
 * beaten by switching between two hull points.
 *
 * Result: sorted by ascending bitrate, quality strictly increasing, slopes Δquality/Δbitrate strictly
 * decreasing (concave). Dominated points, duplicates and the middle of collinear runs are dropped.
 * Keeps the original objects so callers keep their resolution/crf.
 *
 * Andrew's monotone chain on the Pareto front: a point is popped while it lies on or below the chord
 * from its predecessor to the new point.
 *
 * @throws RangeError on a non-finite bitrate or quality.
 */
export function upperConvexHull<T extends RdPoint>(points: readonly T[]): T[] {
  const hull: T[] = [];
  for (const point of paretoFront(points)) {
    for (;;) {
      const last = hull[hull.length - 1];
      const beforeLast = hull[hull.length - 2];
      if (last === undefined || beforeLast === undefined) break;
      // Cross product of (last - beforeLast) × (point - beforeLast): >= 0 means `last` is on or below the chord.
      const cross =
        (last.bitrateKbps - beforeLast.bitrateKbps) * (point.quality - beforeLast.quality) -
        (last.quality - beforeLast.quality) * (point.bitrateKbps - beforeLast.bitrateKbps);
      if (cross < 0) break;
      hull.pop();
    }
    hull.push(point);
  }
  return hull;
}
