import { CrealiaError } from "@crealia/kernel/sdk";

/**
 * The filters plugin's error catalogue: every code it sends, with its HTTP status. The README's
 * "Errors" table lists the same codes (a test keeps them in sync).
 */
export const FILTERS_ERRORS = {
  FILTERS_INVALID_RECIPE: { status: 400, description: "The recipe does not match the recipe schema; `details` lists each problem with its JSON path." },
  FILTERS_RECIPE_VERSION: { status: 400, description: "The recipe's `version` is newer than this plugin understands (or not a version at all)." },
  FILTERS_INVALID_OPTIONS: { status: 400, description: "Preview, export or batch options are invalid (unknown format, impossible size, unknown platform)." },
  FILTERS_INVALID_LUT: { status: 400, description: "The uploaded `.cube` file cannot be read; the message names the line." },
  FILTERS_INVALID_PRESET: { status: 400, description: "An imported preset document is not a filters preset." },
  FILTERS_ASSET_NOT_FOUND: { status: 404, description: "The tenant has no such asset (or no such version of it)." },
  FILTERS_NOT_AN_IMAGE: { status: 422, description: "The asset is a video or audio file: only images can be developed." },
  FILTERS_IMAGE_UNREADABLE: { status: 422, description: "The asset's file could not be decoded as an image." },
  FILTERS_PRESET_NOT_FOUND: { status: 404, description: "The tenant has no such preset (built-in presets cannot be changed or deleted)." },
  FILTERS_PRESET_EXISTS: { status: 409, description: "The tenant already has a preset with that name." },
  FILTERS_LUT_NOT_FOUND: { status: 404, description: "The recipe names a LUT the tenant does not have." },
  FILTERS_NOTHING_TO_UNDO: { status: 409, description: "Undo at the first history entry, or redo at the last." },
  FILTERS_REVISION_CONFLICT: { status: 409, description: "The recipe changed since the revision the client sent (`baseRevision`); reload it and retry." },
  FILTERS_MAX_BYTES: { status: 422, description: "The export cannot be made under `maxBytes`, even at the lowest quality and a quarter of the size." },
  FILTERS_NOT_FOR_VIDEO: {
    status: 422,
    description: "A recipe used as a video effect holds work a video frame cannot get (masks, sharpening, crop…); the message lists it.",
  },
} as const;

export type FiltersErrorCode = keyof typeof FILTERS_ERRORS;

export function filtersError(code: FiltersErrorCode, message: string, details?: unknown): CrealiaError {
  return new CrealiaError(code, FILTERS_ERRORS[code].status, message, details);
}
