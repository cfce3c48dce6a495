import path from "node:path";

const FORBIDDEN = '/\\:*?"<>|';

/**
 * A display name from a client-supplied file name: the last path segment only, no control or
 * path characters, bounded length. It is shown to people, never used to build a storage key.
 */
export function sanitizeFileName(raw: string | undefined, fallback = "untitled"): string {
  const base = path.posix.basename(path.win32.basename(String(raw ?? "")));
  const cleaned = [...base.normalize("NFC")]
    .filter((c) => c.charCodeAt(0) >= 0x20 && c !== "\u007f" && !FORBIDDEN.includes(c))
    .join("")
    .replace(/^\.+/, "")
    .trim()
    .slice(0, 200);
  return cleaned || fallback;
}
