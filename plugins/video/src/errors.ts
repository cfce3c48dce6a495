import { CrealiaError } from "@crealia/kernel/sdk";

/** The video plugin's error catalogue: code → HTTP status. */
export const VIDEO_ERRORS = {
  VIDEO_PROJECT_NOT_FOUND: 404,
  VIDEO_TEMPLATE_NOT_FOUND: 404,
  VIDEO_ASSET_NOT_FOUND: 404,
  VIDEO_ASSET_NOT_READY: 409,
  VIDEO_ASSET_KIND: 422,
  VIDEO_TRACK_NOT_FOUND: 404,
  VIDEO_CLIP_NOT_FOUND: 404,
  VIDEO_TRACK_LOCKED: 409,
  VIDEO_OUT_OF_RANGE: 422,
  VIDEO_OVERLAP: 409,
  VIDEO_INVALID_COMMAND: 422,
  VIDEO_NOTHING_TO_UNDO: 409,
  VIDEO_NOTHING_TO_REDO: 409,
  VIDEO_REVISION_CONFLICT: 409,
  VIDEO_EMPTY_TIMELINE: 422,
  VIDEO_EFFECT_UNAVAILABLE: 422,
  VIDEO_SLOT_MISSING: 422,
  VIDEO_FFMPEG_FAILED: 500,
  VIDEO_SOURCE_CORRUPT: 422,
  VIDEO_NO_AUDIO: 422,
} as const;

export type VideoErrorCode = keyof typeof VIDEO_ERRORS;

export function videoError(code: VideoErrorCode, message: string, details?: unknown): CrealiaError {
  return new CrealiaError(code, VIDEO_ERRORS[code], message, details);
}
