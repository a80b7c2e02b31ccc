import { codedErrorFactory } from '../common/errors.js';

/** Error codes of the encoder. Each is documented in docs/errors.md. */
export const EncoderErrorCode = {
  SourceNotFound: 'ENC_ERR_SOURCE_NOT_FOUND',
  NotMedia: 'ENC_ERR_NOT_MEDIA',
  NoVideo: 'ENC_ERR_NO_VIDEO',
  ZeroDuration: 'ENC_ERR_ZERO_DURATION',
  SourceCorrupt: 'ENC_ERR_SOURCE_CORRUPT',
  FfmpegNotFound: 'ENC_ERR_FFMPEG_NOT_FOUND',
  FfmpegExit: 'ENC_ERR_FFMPEG_EXIT',
  FfmpegTimeout: 'ENC_ERR_FFMPEG_TIMEOUT',
  VmafUnavailable: 'ENC_ERR_VMAF_UNAVAILABLE',
  VmafModelMissing: 'ENC_ERR_VMAF_MODEL_MISSING',
  VmafModelIncompatible: 'ENC_ERR_VMAF_MODEL_INCOMPATIBLE',
  MetricParse: 'ENC_ERR_METRIC_PARSE',
  InvalidOptions: 'ENC_ERR_INVALID_OPTIONS',
  OutputExists: 'ENC_ERR_OUTPUT_EXISTS',
  NoLadder: 'ENC_ERR_NO_LADDER',
  Cancelled: 'ENC_ERR_CANCELLED',
  GopMisaligned: 'ENC_ERR_GOP_MISALIGNED',
} as const;

export type EncoderErrorCode = (typeof EncoderErrorCode)[keyof typeof EncoderErrorCode];

/** HTTP status of each code, as docs/errors.md lists them (for the origin's job API). */
const STATUS: Record<EncoderErrorCode, number> = {
  ENC_ERR_SOURCE_NOT_FOUND: 404,
  ENC_ERR_NOT_MEDIA: 422,
  ENC_ERR_NO_VIDEO: 422,
  ENC_ERR_ZERO_DURATION: 422,
  ENC_ERR_SOURCE_CORRUPT: 422,
  ENC_ERR_FFMPEG_NOT_FOUND: 500,
  ENC_ERR_FFMPEG_EXIT: 500,
  ENC_ERR_FFMPEG_TIMEOUT: 504,
  ENC_ERR_VMAF_UNAVAILABLE: 500,
  ENC_ERR_VMAF_MODEL_MISSING: 500,
  ENC_ERR_VMAF_MODEL_INCOMPATIBLE: 500,
  ENC_ERR_METRIC_PARSE: 500,
  ENC_ERR_INVALID_OPTIONS: 400,
  ENC_ERR_OUTPUT_EXISTS: 409,
  ENC_ERR_NO_LADDER: 422,
  ENC_ERR_CANCELLED: 499,
  ENC_ERR_GOP_MISALIGNED: 500,
};

/** An encoder error with the HTTP status its code maps to. */
export const encoderError = codedErrorFactory<EncoderErrorCode>(STATUS);
