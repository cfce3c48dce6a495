import { randomBytes } from "node:crypto";
import sharp from "sharp";

/** Test media for the e2e runs, made on the fly (nothing binary is committed). */

/** A 2400×1600 photo-like JPEG: gradients and shapes, a warm disc in the centre. */
export async function makePhoto(file: string): Promise<void> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="2400" height="1600">
    <defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#2b4c7e"/><stop offset="1" stop-color="#f2b880"/></linearGradient>
    <radialGradient id="sun"><stop offset="0" stop-color="#ffd166"/><stop offset="1" stop-color="#f08a24"/></radialGradient></defs>
    <rect width="2400" height="1600" fill="url(#sky)"/>
    <circle cx="1200" cy="800" r="330" fill="url(#sun)"/>
    <path d="M0 1250 L500 900 L900 1180 L1400 820 L1900 1150 L2400 950 L2400 1600 L0 1600 Z" fill="#1d3b2a"/>
    <path d="M0 1400 L700 1150 L1300 1380 L1800 1200 L2400 1420 L2400 1600 L0 1600 Z" fill="#0f2418"/>
  </svg>`;
  // Fine grain so the file has the size (and upload time) of a real photo.
  const { data, info } = await sharp(Buffer.from(svg)).raw().toBuffer({ resolveWithObject: true });
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, (data[i] as number) + ((i * 2654435761) % 13) - 6));
  await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
    .jpeg({ quality: 90 })
    .toFile(file);
}

/** A PNG of random pixels: it does not compress, so `side`² × 3 bytes on disk (2048 gives 12 MiB). */
export async function makeNoisePng(file: string, side = 2048): Promise<void> {
  await sharp(randomBytes(side * side * 3), { raw: { width: side, height: side, channels: 3 } })
    .png({ compressionLevel: 1 })
    .toFile(file);
}

/** Mean red, green and blue of an image file. */
export async function meanColour(file: string | Buffer): Promise<[number, number, number]> {
  const { channels } = await sharp(file).stats();
  return [channels[0]?.mean ?? 0, channels[1]?.mean ?? 0, channels[2]?.mean ?? 0];
}
