import type { TitleFile } from '../manifests/index.js';
import type { TitleRecord } from './store/types.js';

export interface RungSummary {
  id: string;
  width: number | undefined;
  height: number | undefined;
  codecs: string;
  averageBandwidthBps: number;
  peakBandwidthBps: number;
  /** Measured quality against the source (VMAF, PSNR or SSIM, as `metric` says), when measured. */
  quality: { metric: string; mean: number; harmonicMean: number; p5: number } | null;
}

export interface TitleSummary {
  titleId: string;
  current: { version: string; publishedAt: string };
  durationS: number | null;
  ladder: {
    rungs: RungSummary[];
    audio: { id: string; codecs: string; averageBandwidthBps: number; language: string | null }[];
  };
  manifests: { dash: string; hls: string; versioned: { dash: string; hls: string } };
  versions: {
    version: string;
    storedAt: string;
    totalSizeBytes: number;
    fileCount: number;
    current: boolean;
  }[];
}

/** Catalog entry of a title from its store record and the current version's title.json. Pure. */
export function summarizeTitle(
  record: TitleRecord,
  title: TitleFile | undefined,
  contentPrefix = '/content',
): TitleSummary {
  const base = `${contentPrefix}/${record.titleId}`;
  const versionBase = `${base}/v/${record.current.version}`;
  const dash = title?.manifests.dash ?? 'manifest.mpd';
  const hls = title?.manifests.hls ?? 'master.m3u8';
  const video = (title?.tracks ?? []).filter((t) => t.type === 'video');
  return {
    titleId: record.titleId,
    current: { ...record.current },
    durationS: title?.durationS ?? null,
    ladder: {
      rungs: video
        .map((t) => ({
          id: t.id,
          width: t.width,
          height: t.height,
          codecs: t.codecs,
          averageBandwidthBps: t.averageBandwidthBps,
          peakBandwidthBps: t.peakBandwidthBps,
          quality: t.quality ? { ...t.quality } : null,
        }))
        .sort((a, b) => a.averageBandwidthBps - b.averageBandwidthBps),
      audio: (title?.tracks ?? [])
        .filter((t) => t.type === 'audio')
        .map((t) => ({
          id: t.id,
          codecs: t.codecs,
          averageBandwidthBps: t.averageBandwidthBps,
          language: t.language ?? null,
        })),
    },
    manifests: {
      dash: `${base}/${dash}`,
      hls: `${base}/${hls}`,
      versioned: { dash: `${versionBase}/${dash}`, hls: `${versionBase}/${hls}` },
    },
    versions: record.versions.map((v) => ({ ...v, current: v.version === record.current.version })),
  };
}
