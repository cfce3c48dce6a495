import path from "node:path";
import { fileURLToPath } from "node:url";
import type { TestKernel } from "@crealia/kernel/testing";
import sharp from "sharp";
import { parseRecipe } from "../src/recipe/recipe.js";
import type { WorkingSpace } from "../src/render/color/space.js";
import { Renderer, type RenderOptions } from "../src/render/renderer.js";

export const pluginDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const fixtureDir = (name: string) => path.join(pluginDir, "test", "fixtures", name);

/** Raw RGB pixels → PNG (lossless, so tests read back exactly what they made). */
export function png(pixels: Uint8Array, width: number, height: number): Promise<Buffer> {
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

/** An image of solid patches, one per colour, side by side (each `size` pixels square). */
export async function patches(colours: [number, number, number][], size = 16): Promise<Buffer> {
  const width = size * colours.length;
  const px = new Uint8Array(width * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < width; x++) {
      const c = colours[Math.floor(x / size)] as [number, number, number];
      px.set(c, (y * width + x) * 3);
    }
  }
  return png(px, width, size);
}

/** A horizontal grey ramp 0..255 with coloured stripes below (a photo-ish test card). */
export async function testCard(width = 256, height = 96): Promise<Buffer> {
  const px = new Uint8Array(width * height * 3);
  const band = height / 3;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = Math.round((x / (width - 1)) * 255);
      const i = (y * width + x) * 3;
      if (y < band) px.set([v, v, v], i);
      else if (y < 2 * band) px.set([v, Math.round(v * 0.6), Math.round(v * 0.3)], i);
      else px.set([Math.round(v * 0.3), Math.round(v * 0.6), v], i);
    }
  }
  return png(px, width, height);
}

/** A noisy mid-grey field (noise reduction, grain). */
export async function noisy(width = 128, height = 128, sigma = 20): Promise<Buffer> {
  const raw = await sharp({ create: { width, height, channels: 3, background: { r: 0, g: 0, b: 0 }, noise: { type: "gaussian", mean: 128, sigma } } })
    .raw()
    .toBuffer();
  return png(new Uint8Array(raw), width, height);
}

/** A photo-like JPEG: gradient with texture, realistic sizes for speed checks. */
export async function photoJpeg(width: number, height: number): Promise<Buffer> {
  const noise = await sharp({ create: { width, height, channels: 3, background: { r: 0, g: 0, b: 0 }, noise: { type: "gaussian", mean: 128, sigma: 30 } } })
    .blur(1.2)
    .raw()
    .toBuffer();
  const svg = `<svg width="${width}" height="${height}"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="hsl(30,70%,55%)"/><stop offset="1" stop-color="hsl(200,60%,35%)"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)" opacity="0.85"/></svg>`;
  return sharp(noise, { raw: { width, height, channels: 3 } })
    .composite([{ input: Buffer.from(svg) }])
    .jpeg({ quality: 88 })
    .toBuffer();
}

export interface Pixels {
  data: Uint8Array;
  width: number;
  height: number;
  at(x: number, y: number): [number, number, number];
}

export function pixels(data: Uint8Array, width: number, height: number): Pixels {
  return {
    data,
    width,
    height,
    at: (x, y) => {
      const i = (y * width + x) * 3;
      return [data[i] as number, data[i + 1] as number, data[i + 2] as number];
    },
  };
}

/** Decodes any image file to 8-bit RGB as stored (no colour conversion). */
export async function decodeRaw(file: Buffer): Promise<Pixels> {
  const { data, info } = await sharp(file, { ignoreIcc: true }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return pixels(new Uint8Array(data), info.width, info.height);
}

const renderer = new Renderer({ cacheMb: 64 });
let counter = 0;

/** Renders a recipe over an image file with the real renderer (no kernel), full size, 8-bit sRGB. */
export async function develop(file: Buffer, recipe: unknown, options: Partial<RenderOptions> = {}): Promise<Pixels & { warnings: string[] }> {
  const dev = await renderer.render({ key: `test-${++counter}`, load: async () => file }, parseRecipe(recipe), {
    space: "srgb" as WorkingSpace,
    purpose: "export",
    limits: {},
    ...options,
  });
  const data = dev.depth === 8 ? (dev.pixels as Uint8Array) : Uint8Array.from(dev.pixels, (v) => v >> 8);
  return { ...pixels(data, dev.width, dev.height), warnings: dev.warnings };
}

export const srgbToLinear = (v: number) => {
  const c = v / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
};

export const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
export function std(xs: number[]) {
  const m = mean(xs);
  return Math.sqrt(mean(xs.map((x) => (x - m) ** 2)));
}

/** Uploads an image through the kernel and waits for its ingest; returns the asset id. */
export async function upload(t: TestKernel, data: Buffer, name = "photo.jpg", tenant?: string): Promise<string> {
  return (await t.upload(name, data, { tenant, timeoutMs: 20_000 })).assetId;
}

/** A JPEG with camera EXIF and a GPS position. */
export async function jpegWithGps(width = 320, height = 240): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 180, g: 120, b: 60 } } })
    .jpeg({ quality: 90 })
    .withExif({
      IFD0: { Make: "Crealia", Model: "TestCam 2" },
      IFD2: { ExposureTime: "1/250", FNumber: "28/10", ISOSpeedRatings: "200", DateTimeOriginal: "2026:05:01 10:20:30" },
      IFD3: { GPSLatitudeRef: "N", GPSLatitude: "48/1 51/1 2400/100", GPSLongitudeRef: "E", GPSLongitude: "2/1 21/1 0/1" },
    })
    .toBuffer();
}

export const API = "/api/p/filters/v1";
