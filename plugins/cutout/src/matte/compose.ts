/** What the cut-out subject is put on: nothing (alpha), a colour, a blur of the photo itself, or another image. */
import sharp, { type Sharp } from "sharp";
import type { RgbImage } from "../image.js";

export type Background = { kind: "transparent" } | { kind: "color"; color: string } | { kind: "blur"; sigma: number } | { kind: "image"; bytes: Buffer };

export type OutputFormat = "png" | "webp" | "jpeg";

export function parseColor(hex: string): [number, number, number] {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex);
  if (!m) throw new Error(`not a #rrggbb colour: ${hex}`);
  const v = Number.parseInt(m[1] as string, 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

async function backgroundPixels(img: RgbImage, bg: Exclude<Background, { kind: "transparent" }>): Promise<Uint8Array> {
  const { width, height } = img;
  if (bg.kind === "color") {
    const [r, g, b] = parseColor(bg.color);
    const out = new Uint8Array(width * height * 3);
    for (let i = 0; i < out.length; i += 3) {
      out[i] = r;
      out[i + 1] = g;
      out[i + 2] = b;
    }
    return out;
  }
  const s =
    bg.kind === "blur"
      ? sharp(img.pixels, { raw: { width, height, channels: 3 } }).blur(Math.max(0.3, bg.sigma))
      : sharp(bg.bytes).rotate().resize(width, height, { fit: "cover" }).flatten({ background: "#ffffff" }).removeAlpha().toColourspace("srgb");
  const buf = await s.raw().toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

/** Encodes the subject with its alpha, or composited on the background, in `format`. */
export async function compose(img: RgbImage, alpha: Uint8Array, background: Background, format: OutputFormat): Promise<{ bytes: Buffer; mime: string }> {
  const { width, height } = img;
  let s: Sharp;
  if (background.kind === "transparent") {
    const rgba = Buffer.alloc(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      rgba[i * 4] = img.pixels[i * 3] as number;
      rgba[i * 4 + 1] = img.pixels[i * 3 + 1] as number;
      rgba[i * 4 + 2] = img.pixels[i * 3 + 2] as number;
      rgba[i * 4 + 3] = alpha[i] as number;
    }
    s = sharp(rgba, { raw: { width, height, channels: 4 } });
  } else {
    const bg = await backgroundPixels(img, background);
    const out = Buffer.alloc(width * height * 3);
    for (let i = 0; i < width * height; i++) {
      const a = (alpha[i] as number) / 255;
      for (let c = 0; c < 3; c++) {
        const o = i * 3 + c;
        out[o] = Math.round((img.pixels[o] as number) * a + (bg[o] as number) * (1 - a));
      }
    }
    s = sharp(out, { raw: { width, height, channels: 3 } });
  }
  if (format === "webp") return { bytes: await s.webp({ quality: 92, alphaQuality: 100 }).toBuffer(), mime: "image/webp" };
  if (format === "jpeg") return { bytes: await s.flatten({ background: "#ffffff" }).jpeg({ quality: 92 }).toBuffer(), mime: "image/jpeg" };
  return { bytes: await s.png().toBuffer(), mime: "image/png" };
}

/** Bounding box of the pixels whose alpha is above `threshold` (0..255); null when there are none. */
export function subjectBox(alpha: Uint8Array, width: number, height: number, threshold = 128): { x: number; y: number; width: number; height: number } | null {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if ((alpha[y * width + x] as number) <= threshold) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  return x1 < 0 ? null : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/**
 * "Product photo": the subject cut out, centred on a square canvas of `size` px in `color`, scaled
 * so it fills the canvas less `padding` (a fraction) on its longer side: marketplace 1:1 listings.
 */
export async function productPhoto(
  img: RgbImage,
  alpha: Uint8Array,
  options: { size: number; padding: number; color: string },
  format: OutputFormat,
): Promise<{ bytes: Buffer; mime: string }> {
  const box = subjectBox(alpha, img.width, img.height) ?? { x: 0, y: 0, width: img.width, height: img.height };
  const rgba = Buffer.alloc(box.width * box.height * 4);
  for (let y = 0; y < box.height; y++) {
    for (let x = 0; x < box.width; x++) {
      const s = (box.y + y) * img.width + box.x + x;
      const o = (y * box.width + x) * 4;
      rgba[o] = img.pixels[s * 3] as number;
      rgba[o + 1] = img.pixels[s * 3 + 1] as number;
      rgba[o + 2] = img.pixels[s * 3 + 2] as number;
      rgba[o + 3] = alpha[s] as number;
    }
  }
  const inner = Math.max(1, Math.round(options.size * (1 - 2 * options.padding)));
  const subject = await sharp(rgba, { raw: { width: box.width, height: box.height, channels: 4 } })
    .resize(inner, inner, { fit: "inside", kernel: "lanczos3" })
    .png()
    .toBuffer();
  const meta = await sharp(subject).metadata();
  const [r, g, b] = parseColor(options.color);
  const canvas = sharp({ create: { width: options.size, height: options.size, channels: 3, background: { r, g, b } } }).composite([
    { input: subject, left: Math.round((options.size - (meta.width ?? inner)) / 2), top: Math.round((options.size - (meta.height ?? inner)) / 2) },
  ]);
  if (format === "png") return { bytes: await canvas.png().toBuffer(), mime: "image/png" };
  if (format === "webp") return { bytes: await canvas.webp({ quality: 92 }).toBuffer(), mime: "image/webp" };
  return { bytes: await canvas.jpeg({ quality: 92 }).toBuffer(), mime: "image/jpeg" };
}
