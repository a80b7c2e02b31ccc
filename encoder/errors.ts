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
