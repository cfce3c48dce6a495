/**
 * Develop preview benchmark: a 24-megapixel JPEG and a full recipe (white balance, exposure,
 * contrast, highlights, shadows, vibrance, saturation, HSL, tone curve, clarity, sharpening,
 * vignette), rendered at 1440 px on the long edge by the filters plugin's renderer, against bare
 * sharp chaining the same adjustments by hand in one pipeline (recomb for white balance and
 * exposure, linear for contrast, gamma for highlights/shadows, modulate for saturation, sharpen,
 * a precomputed vignette multiplied in) and, when Debian's ImageMagick is installed, `convert`
 * doing an equivalent chain. sharp has no per-band HSL, tone curve or cheap local contrast (its
 * clahe alone takes ~2 s on this photo), so the baseline does less work than the renderer.
 *
 *   npx tsx --conditions=source scripts/bench/develop.ts [--runs 9] [--export] [--http] [--magick-export]
 *
 * - cold preview: a new renderer each run (decode with shrink-on-load, colour LUT bake, one
 *   pass, JPEG encode): what opening a photo costs.
 * - warm preview: the decoded base cached, one slider moved per run: what a drag costs.
 * - `--export`: also the full-size export (render + JPEG q90) against sharp at full size.
 * - `--http`: also the warm preview through the plugin's HTTP route in a test kernel (needs
 *   `--conditions=source`, like `npm start`, so the plugin and kernel load from their sources).
 * - `--magick-export`: also ImageMagick at full size (minutes: its local contrast is slow).
 *
 * sharp runs with `sharp.concurrency(1)` for both sides (TOOLCHAIN.md); the renderer's own pass
 * runs on its render threads (FILTERS_RENDER_THREADS, default the cores, at most 4) and, for
 * comparison, on one thread. Times are medians. The last lines are
 * `<figure>: <value> <unit> (ratio <r> vs <baseline>)`.
 */
process.env.CREALIA_SOURCE = "1";

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";

const { parseRecipe } = await import("../../plugins/filters/src/recipe/recipe.js");
const { Renderer } = await import("../../plugins/filters/src/render/renderer.js");
const { encode } = await import("../../plugins/filters/src/render/encode.js");
const { PassPool, renderPool } = await import("../../plugins/filters/src/render/pass-pool.js");

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "9" },
    export: { type: "boolean", default: false },
    http: { type: "boolean", default: false },
    "magick-export": { type: "boolean", default: false },
  },
});
const runs = Math.max(3, Number(values.runs));
sharp.concurrency(1);
const work = mkdtempSync(path.join(os.tmpdir(), "crealia-bench-preview-"));
const WIDTH = 6000;
const HEIGHT = 4000;
const EDGE = 1440;

/** A 6000 × 4000 photo-like JPEG: smooth gradients under mild texture, like the ingest benchmark's. */
async function photo(): Promise<Buffer> {
  const noise = await sharp({
    create: { width: WIDTH, height: HEIGHT, channels: 3, background: { r: 0, g: 0, b: 0 }, noise: { type: "gaussian", mean: 128, sigma: 24 } },
  })
    .blur(1.2)
    .raw()
    .toBuffer();
  const svg = `<svg width="${WIDTH}" height="${HEIGHT}"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="hsl(30,70%,60%)"/><stop offset="0.5" stop-color="hsl(110,40%,45%)"/><stop offset="1" stop-color="hsl(210,60%,35%)"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)" opacity="0.85"/></svg>`;
  return sharp(noise, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } })
    .composite([{ input: Buffer.from(svg) }])
    .jpeg({ quality: 90 })
    .toBuffer();
}

const recipeFor = (i: number) =>
  parseRecipe({
    basic: { temperature: 12, tint: 4, exposure: 0.35 + i * 0.01, contrast: 18, highlights: -35, shadows: 25 },
    presence: { clarity: 15, vibrance: 25, saturation: 5 },
    hsl: { blue: { saturation: -15, luminance: -10 }, orange: { luminance: 8 } },
    toneCurve: {
      rgb: [
        [0, 0.02],
        [0.25, 0.23],
        [0.75, 0.79],
        [1, 1],
      ],
    },
    detail: { sharpening: { amount: 40, radius: 1 } },
    effects: { vignette: { amount: -20 } },
  });

const vignettes = new Map<number, { data: Buffer; width: number; height: number }>();
/** A vignette as raw RGB (made once per size, outside the timings: an expert would cache it). */
async function vignette(width: number, height: number) {
  let v = vignettes.get(width);
  if (!v) {
    const svg = `<svg width="${width}" height="${height}"><defs><radialGradient id="v" cx="50%" cy="50%" r="75%"><stop offset="60%" stop-color="#fff"/><stop offset="100%" stop-color="#ccc"/></radialGradient></defs><rect width="100%" height="100%" fill="url(#v)"/></svg>`;
    v = { data: await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer(), width, height };
    vignettes.set(width, v);
  }
  return v;
}

/** Bare sharp, hand-chained: the closest one-call-each equivalents of the same adjustments. */
async function bareSharp(input: Buffer, width: number | null): Promise<Buffer> {
  const r = 2 ** (0.5 * 0.12) * 2 ** 0.35 * 0.97;
  const g = 2 ** (-0.35 * 0.04) * 2 ** 0.35;
  const b = 2 ** (-0.5 * 0.12) * 2 ** 0.35;
  let img = sharp(input);
  if (width) img = img.resize(width, width, { fit: "inside" });
  const meta = width ? { width, height: Math.round((width * HEIGHT) / WIDTH) } : { width: WIDTH, height: HEIGHT };
  const v = await vignette(meta.width, meta.height);
  return img
    .recomb([
      [r, 0, 0],
      [0, g, 0],
      [0, 0, b],
    ]) // white balance + exposure
    .linear(1.18, -0.18 * 118) // contrast about mid grey
    .gamma(2.2, 2.0) // shadows / highlights (a gamma lift)
    .modulate({ saturation: 1.3, hue: 0 }) // vibrance + saturation (sharp has no per-band HSL)
    .sharpen({ sigma: 1, m1: 0.4, m2: 0.8 }) // sharpening (clarity would need clahe: ~2 s, left out)
    .composite([{ input: v.data, raw: { width: v.width, height: v.height, channels: 3 }, blend: "multiply" }]) // vignette
    .jpeg({ quality: 82 })
    .toBuffer();
}

/** Debian's ImageMagick, if installed (`convert -version` says ImageMagick). */
function findMagick(): string | null {
  for (const bin of ["/usr/bin/convert", "/usr/local/bin/convert"]) {
    if (!existsSync(bin)) continue;
    try {
      if (execFileSync(bin, ["-version"], { encoding: "utf8" }).includes("ImageMagick")) return bin;
    } catch {
      // a stand-in that is not ImageMagick
    }
  }
  return null;
}
const MAGICK = findMagick();

function magick(file: string, out: string, full: boolean) {
  const args = [
    ...(full ? [] : ["-define", `jpeg:size=${EDGE * 2}x${EDGE * 2}`]),
    file,
    ...(full ? [] : ["-resize", `${EDGE}x${EDGE}`]),
    "-color-matrix",
    "1.33 0 0 0 1.26 0 0 0 1.23",
    "-sigmoidal-contrast",
    "3x50%",
    "-gamma",
    "1.1",
    "-modulate",
    "100,130,100",
    "-local-contrast",
    "15x15",
    "-unsharp",
    "0x1+0.4+0",
    "-vignette",
    "0x80",
    "-quality",
    "82",
    out,
  ];
  execFileSync(MAGICK as string, args, { stdio: "ignore" });
}

async function median(label: string, n: number, fn: (i: number) => Promise<unknown> | unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const m = times[Math.floor(times.length / 2)] as number;
  process.stderr.write(`  ${label}: ${times.map((x) => x.toFixed(0)).join(" ")} ms\n`);
  return m;
}

process.stderr.write(`generating a ${(WIDTH * HEIGHT) / 1e6} MP JPEG…\n`);
const jpeg = await photo();
const file = path.join(work, "photo.jpg");
writeFileSync(file, jpeg);
process.stderr.write(`  ${(jpeg.length / 1e6).toFixed(1)} MB\n`);
const limits = { maxWidth: EDGE, maxHeight: EDGE };

// Warm up the JIT and libvips once, untimed.
{
  const r = new Renderer();
  const dev = await r.render({ key: "warmup", load: async () => jpeg }, recipeFor(0), { space: "srgb", purpose: "preview", limits });
  await encode(dev, { format: "jpeg", quality: 82, fast: true });
  await bareSharp(jpeg, EDGE);
}

process.stderr.write("cold previews (new renderer each run)…\n");
let coldTimings: Record<string, number> = {};
const cold = await median("cold", runs, async (i) => {
  const r = new Renderer();
  const dev = await r.render({ key: `cold-${i}`, load: async () => jpeg }, recipeFor(i), { space: "srgb", purpose: "preview", limits });
  await encode(dev, { format: "jpeg", quality: 82, fast: true });
  coldTimings = dev.timings;
});

process.stderr.write("warm previews (cached base, one slider moved per run)…\n");
const renderer = new Renderer();
const source = { key: "warm", load: async () => jpeg };
await renderer.render(source, recipeFor(100), { space: "srgb", purpose: "preview", limits });
let warmTimings: Record<string, number> = {};
const warm = await median("warm", runs, async (i) => {
  const dev = await renderer.render(source, recipeFor(i + 1), { space: "srgb", purpose: "preview", limits });
  const t = performance.now();
  await encode(dev, { format: "jpeg", quality: 82, fast: true });
  warmTimings = { ...dev.timings, encode: Math.round((performance.now() - t) * 10) / 10 };
});

process.stderr.write("warm previews on one thread…\n");
const oneThread = new Renderer({ pool: new PassPool(0) });
await oneThread.render(source, recipeFor(100), { space: "srgb", purpose: "preview", limits });
const warm1 = await median("warm 1 thread", runs, async (i) => {
  const dev = await oneThread.render(source, recipeFor(i + 1), { space: "srgb", purpose: "preview", limits });
  await encode(dev, { format: "jpeg", quality: 82, fast: true });
});

process.stderr.write("bare sharp, hand-chained, same adjustments…\n");
const bare = await median("sharp", runs, () => bareSharp(jpeg, EDGE));

let im: number | null = null;
if (MAGICK) {
  process.stderr.write("ImageMagick convert, equivalent chain…\n");
  im = await median("convert", Math.min(runs, 5), () => magick(file, path.join(work, "im.jpg"), false));
}

let exportOurs: number | null = null;
let exportSharp: number | null = null;
let exportMagick: number | null = null;
if (values.export) {
  process.stderr.write("full-size export…\n");
  exportOurs = await median("export ours", 3, async (i) => {
    const r = new Renderer();
    const dev = await r.render({ key: `export-${i}`, load: async () => jpeg }, recipeFor(i), { space: "srgb", purpose: "export", limits: {} });
    await encode(dev, { format: "jpeg", quality: 90 });
  });
  exportSharp = await median("export sharp", 3, () => bareSharp(jpeg, null));
  if (im !== null && values["magick-export"]) exportMagick = await median("export convert", 1, () => magick(file, path.join(work, "im-full.jpg"), true));
}

let http: number | null = null;
if (values.http) {
  process.stderr.write("warm previews through the HTTP route (test kernel)…\n");
  const { createTestKernel } = await import("../../kernel/src/testing/index.js");
  const { multipart } = await import("../../kernel/test/assets/media-fixtures.js");
  const t = await createTestKernel({ plugins: [path.resolve("plugins/filters")] });
  const state = t.kernel.plugins().find((p) => p.id === "filters");
  if (state?.state !== "started") throw new Error(`the filters plugin did not start (${state?.reason}); run with npx tsx --conditions=source`);
  const up = await t.inject({ method: "POST", url: "/api/assets", ...multipart({ name: "photo.jpg", data: jpeg }) });
  await t.waitForJob(up.json().jobId, { timeoutMs: 120_000 });
  const id = up.json().asset.id;
  const url = `/api/p/filters/v1/assets/${id}/preview`;
  await t.inject({ method: "POST", url, payload: { size: EDGE } });
  http = await median("http", runs, async (i) => {
    const res = await t.inject({ method: "POST", url, payload: { size: EDGE, recipe: recipeFor(i) } });
    if (res.statusCode !== 200) throw new Error(res.body);
  });
  await t.close();
}
rmSync(work, { recursive: true, force: true });

const ms = (v: number) => v.toFixed(1);
const ratio = (a: number, b: number) => (a / b).toFixed(2);
process.stderr.write(
  `render threads: ${renderPool().threads}; load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")} on ${os.availableParallelism()} cores\ncold stages (ms): ${JSON.stringify(coldTimings)}\nwarm stages (ms): ${JSON.stringify(warmTimings)}\n`,
);
console.log(`preview cold 24MP→${EDGE}px: ${ms(cold)} ms (ratio ${ratio(cold, bare)} vs bare sharp chained)`);
console.log(`preview warm (slider move): ${ms(warm)} ms (ratio ${ratio(warm, bare)} vs bare sharp chained)`);
console.log(`preview warm on 1 thread: ${ms(warm1)} ms (ratio ${ratio(warm1, bare)} vs bare sharp chained)`);
console.log(`bare sharp chained 24MP→${EDGE}px: ${ms(bare)} ms (ratio 1.00 vs bare sharp chained)`);
if (im !== null) {
  console.log(`preview cold vs ImageMagick: ${ms(cold)} ms (ratio ${ratio(cold, im)} vs convert ${ms(im)} ms)`);
  console.log(`preview warm vs ImageMagick: ${ms(warm)} ms (ratio ${ratio(warm, im)} vs convert ${ms(im)} ms)`);
}
if (http !== null) console.log(`preview warm via HTTP route: ${ms(http)} ms (ratio ${ratio(http, bare)} vs bare sharp chained)`);
if (exportOurs !== null && exportSharp !== null) {
  console.log(`export full size 24MP JPEG q90: ${ms(exportOurs)} ms (ratio ${ratio(exportOurs, exportSharp)} vs bare sharp chained ${ms(exportSharp)} ms)`);
  if (exportMagick !== null)
    console.log(`export full size vs ImageMagick: ${ms(exportOurs)} ms (ratio ${ratio(exportOurs, exportMagick)} vs convert ${ms(exportMagick)} ms)`);
}
// The test kernel of --http leaves handles behind (as in the other benchmarks): exit explicitly.
await renderPool().close();
process.exit(0);
