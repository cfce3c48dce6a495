import { fileTypeFromFile } from "file-type";
import { kernelError } from "../errors.js";

export type AssetKind = "image" | "video" | "audio";

/** What ingest accepts, by the type sniffed from the bytes (never the name or declared type). */
const SUPPORTED: Record<string, AssetKind> = {
  "image/jpeg": "image",
  "image/png": "image",
  "image/webp": "image",
  "image/avif": "image",
  "image/heic": "image",
  "image/heif": "image",
  "image/tiff": "image",
  "image/gif": "image",
  "video/mp4": "video",
  "video/quicktime": "video",
  "video/webm": "video",
  "video/x-matroska": "video",
  "audio/mpeg": "audio",
  "audio/wav": "audio",
  "audio/x-wav": "audio",
  "audio/aac": "audio",
  "audio/x-m4a": "audio",
  "audio/mp4": "audio",
  "audio/ogg": "audio",
  "audio/flac": "audio",
  "audio/x-flac": "audio",
};

/** Sniffs the file's real type; refuses anything that is not a supported image, video or audio. */
export async function detectMediaType(file: string): Promise<{ mime: string; ext: string; kind: AssetKind }> {
  const type = await fileTypeFromFile(file);
  if (!type) {
    throw kernelError("KERNEL_UNSUPPORTED_MEDIA", "the file is not an image, video or audio format Crealia supports (its bytes match no known media type)");
  }
  let kind = SUPPORTED[type.mime];
  // An .mp4/.webm/.mkv container may hold only audio; ffprobe decides later, the container is fine.
  if (!kind && type.mime === "application/ogg") kind = "audio";
  if (!kind) throw kernelError("KERNEL_UNSUPPORTED_MEDIA", `files of type ${type.mime} are not supported: upload an image, a video or an audio file`);
  return { mime: type.mime, ext: type.ext, kind };
}
