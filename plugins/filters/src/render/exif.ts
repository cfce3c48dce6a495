/**
 * EXIF on exports. The developed pixels leave sharp without metadata, so what is kept is written
 * back from the original: camera, lens, exposure and dates (IFD0 and the Exif IFD), GPS only when
 * asked (it is stripped by default), never the orientation (the pixels are already upright) nor
 * maker notes or thumbnails.
 */
import exifr from "exifr";
import type { Exif } from "sharp";

const IFD0 = ["Make", "Model", "DateTime", "Artist", "Copyright", "ImageDescription"] as const;
const EXIF_IFD = [
  "DateTimeOriginal",
  "DateTimeDigitized",
  "OffsetTime",
  "OffsetTimeOriginal",
  "ExposureTime",
  "FNumber",
  "ExposureProgram",
  "ISO",
  "ExposureBiasValue",
  "MeteringMode",
  "Flash",
  "FocalLength",
  "FocalLengthIn35mmFormat",
  "WhiteBalance",
  "LensMake",
  "LensModel",
  "BodySerialNumber",
] as const;
const GPS = ["GPSLatitudeRef", "GPSLatitude", "GPSLongitudeRef", "GPSLongitude", "GPSAltitudeRef", "GPSAltitude", "GPSTimeStamp", "GPSDateStamp"] as const;
/** Rational tags libvips expects as "n/d" strings. */
const RATIONAL = new Set(["ExposureTime", "FNumber", "ExposureBiasValue", "FocalLength", "GPSLatitude", "GPSLongitude", "GPSAltitude", "GPSTimeStamp"]);

export interface ExifChoice {
  /** Keep camera EXIF (default true). */
  keep: boolean;
  /** Keep GPS position (default false: stripped). */
  keepGps: boolean;
}

function rational(v: number): string {
  if (Number.isInteger(v)) return `${v}/1`;
  if (Math.abs(v) < 1) {
    const d = Math.round(1 / Math.abs(v));
    if (Math.abs(1 / d - Math.abs(v)) < 1e-9) return `${v < 0 ? -1 : 1}/${d}`;
  }
  const d = 10000;
  return `${Math.round(v * d)}/${d}`;
}

function format(tag: string, v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return null;
  if (Array.isArray(v)) return RATIONAL.has(tag) ? v.map((x) => rational(Number(x))).join(" ") : v.join(" ");
  if (typeof v === "number") return RATIONAL.has(tag) ? rational(v) : String(v);
  if (typeof v === "string") return v.replace(/\0+$/, "").slice(0, 500);
  return null;
}

/** The `withExif` block for sharp: what to keep from `original`'s EXIF; null when nothing is kept. */
export async function exifToKeep(original: Buffer, choice: ExifChoice, software: string): Promise<Exif | null> {
  if (!choice.keep) return null;
  let tags: Record<string, unknown> | undefined;
  try {
    tags = await exifr.parse(original, { tiff: true, exif: true, gps: choice.keepGps, translateValues: false, reviveValues: false, mergeOutput: true });
  } catch {
    tags = undefined;
  }
  const pick = (names: readonly string[]) => {
    const out: Record<string, string> = {};
    for (const n of names) {
      const key = n === "ISO" ? "ISOSpeedRatings" : n;
      const v = format(n, tags?.[n]);
      if (v) out[key] = v;
    }
    return out;
  };
  const exif: Exif = { IFD0: { ...pick(IFD0), Software: software } };
  const e = pick(EXIF_IFD);
  if (Object.keys(e).length) exif.IFD2 = e;
  if (choice.keepGps) {
    const g = pick(GPS);
    if (Object.keys(g).length) exif.IFD3 = g;
  }
  return exif;
}
