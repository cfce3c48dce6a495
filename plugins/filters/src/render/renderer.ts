/**
 * Renders a recipe. The plan, in order of cost:
 *
 * 1. **Base** — the photo decoded once per size: shrink-on-load straight to the pixels the output
 *    needs, EXIF-oriented, converted from its ICC profile into the working space (sRGB, or
 *    Display P3 in 16 bits). Cached between slider moves (`bases`, by bytes).
 * 2. **Stage** — geometry in one libvips pipeline (flip → rotate → extract → resize), skipped when
 *    the base already is the output. Buffers that depend only on the stage (blurred luminance for
 *    clarity and texture, the median for noise reduction, masks from other plugins) are made on
 *    first use and kept with it.
 * 3. **Colour** — the recipe's colour work compiled and baked into LUTs (`color/`), cached by what
 *    they do.
 * 4. **Pass** — one pass over the pixels (`pass.ts`).
 *
 * A slider move therefore costs a LUT bake (when the colour changed) and one pass over the
 * preview's pixels; no decode, no libvips work.
 */
import sharp, { type Metadata, type OutputInfo, type Sharp } from "sharp";
import type { Recipe } from "../recipe/schema.js";
import { type Analysis, analyse } from "./analysis.js";
import type { CubeLut } from "./color/cube.js";
import { type BakedLut, bakeLut, GRID_EXPORT, GRID_PREVIEW, type Pixels } from "./color/lut.js";
import { compileColor, globalColorSpec, localColorSpec } from "./color/program.js";
import type { WorkingSpace } from "./color/space.js";
import { type GeometryPlan, outputSize, planGeometry, type Size, type SizeLimits, toSource } from "./geometry.js";
import { Lru } from "./lru.js";
import { blur8, CLARITY_TABLE, colourBlur, grainField, luma8, median, sharpenTable, TEXTURE_TABLE, vignetteMap } from "./maps.js";
import { bitmapMask, linearMask, type MaskSampler, radialMask } from "./masks.js";
import { type DetailSpec, type LocalPass, needsGeneralPass, type PassSpec } from "./pass.js";
import { type PassPool, renderPool, shared, sharedPixels } from "./pass-pool.js";

/** The bytes of one asset version, loaded only when nothing cached will do. */
export interface RenderSource {
  /** Stable identity of the bytes, e.g. `<tenant>/<asset>/v<version>`. */
  key: string;
  /** Called for the header and again for the decode: keep the bytes if reading them is costly. */
  load(): Promise<Buffer>;
}

/** What the `filters.mask` extension point's contributions provide (see the README). */
export interface MaskProvider {
  name: string;
  label?: string;
  description?: string;
  build(input: MaskInput): Promise<Uint8Array | Buffer>;
}

export interface MaskInput {
  /** The photo, upright, 8-bit sRGB RGB, `width × height × 3` bytes. */
  pixels: Uint8Array;
  width: number;
  height: number;
  params: Record<string, unknown>;
  tenantId?: string;
  assetId?: string;
  version?: number;
  signal?: AbortSignal;
}

export interface RenderOptions {
  space: WorkingSpace;
  purpose: "preview" | "export";
  limits: SizeLimits;
  /** A platform's aspect (width ÷ height): the crop is trimmed to it about its centre. */
  forceAspect?: number;
  cube?: CubeLut | null;
  /** Finds a `filters.mask` provider by `<plugin-id>/<name>`; null when none is started. */
  masks?: (provider: string) => MaskProvider | null;
  maskContext?: { tenantId: string; assetId: string; version: number };
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void | Promise<void>;
}

export interface Developed {
  pixels: Pixels;
  width: number;
  height: number;
  /** 8 (sRGB) or 16 (Display P3 — sharp reads 16-bit raw RGB as P3). */
  depth: 8 | 16;
  space: WorkingSpace;
  analysis: Analysis;
  /** The photo's full size, upright. */
  source: Size;
  warnings: string[];
  timings: Record<string, number>;
}

interface SourceMeta {
  width: number;
  height: number;
  sixteen: boolean;
  hasProfile: boolean;
}

interface Base {
  key: string;
  pixels: Pixels;
  width: number;
  height: number;
  max: number;
  space: WorkingSpace;
  full: Size;
  analysis: Analysis;
  /** 8-bit sRGB pixels for mask providers (the base itself when it is 8-bit sRGB). */
  srgb8?: Promise<Uint8Array>;
  maskCache: Map<string, Promise<Uint8Array>>;
}

interface Stage {
  pixels: Pixels;
  width: number;
  height: number;
  max: number;
  plan: GeometryPlan;
  /** Maps made from the stage's pixels (see maps.ts), by what they depend on. */
  memo: Map<string, Promise<unknown>>;
  masks: Map<string, Promise<Uint8Array>>;
}

/** A map of the stage, made on first use and kept with it (a preview's stage is cached; an export's is not). */
function memo<T>(stage: Stage, key: string, make: () => Promise<T>): Promise<T> {
  let p = stage.memo.get(key) as Promise<T> | undefined;
  if (!p) {
    p = make();
    stage.memo.set(key, p);
    p.catch(() => stage.memo.delete(key));
  }
  return p;
}

const luma = (stage: Stage) => memo(stage, "luma", async () => shared(await luma8(stage)));
const blur = (stage: Stage, sigma: number) => {
  const s = Math.round(sigma * 20) / 20;
  return memo(stage, `blur:${s}`, async () => shared(await blur8(await luma(stage), stage.width, stage.height, s)));
};

const bytesOf = <T extends { pixels: Pixels }>(p: T) => p.pixels.byteLength;
const MB = 1024 * 1024;

/** A renderer with its caches; one per process is enough (the plugin makes one in `setup`). */
export class Renderer {
  private readonly metas = new Lru<string, SourceMeta>(2000);
  private readonly bases: Lru<string, Base>;
  private readonly stages: Lru<string, Stage>;
  private readonly luts = new Lru<string, BakedLut>(48);
  /** How many chunks of pixels the pass yields between (exports stay fair to the event loop). */
  readonly chunkPixels: number;

  private readonly pool: PassPool;

  constructor(options: { cacheMb?: number; chunkPixels?: number; pool?: PassPool } = {}) {
    this.pool = options.pool ?? renderPool();
    const cache = (options.cacheMb ?? 256) * MB;
    this.bases = new Lru(cache * 0.6, bytesOf);
    this.stages = new Lru(cache * 0.4, bytesOf);
    this.chunkPixels = options.chunkPixels ?? 2_000_000;
  }

  /** Starts the render threads. */
  warm() {
    this.pool.warm();
  }

  /** Forgets everything cached about one source (its asset was edited or deleted). */
  forget(sourceKey: string) {
    this.metas.delete(sourceKey);
    for (const [k] of [...this.bases.entries()]) if (k.startsWith(`${sourceKey}|`)) this.bases.delete(k);
    for (const [k] of [...this.stages.entries()]) if (k.startsWith(`${sourceKey}|`)) this.stages.delete(k);
  }

  clear() {
    this.metas.clear();
    this.bases.clear();
    this.stages.clear();
    this.luts.clear();
  }

  stats() {
    return { bases: this.bases.size, baseBytes: this.bases.cost, stages: this.stages.size, stageBytes: this.stages.cost, luts: this.luts.size };
  }

  /** The photo's upright size and a histogram of it, decoding (and caching) a preview base if needed. */
  async analyse(source: RenderSource, space: WorkingSpace = "srgb", longEdge = 1024): Promise<{ source: Size; analysis: Analysis }> {
    const meta = await this.meta(source);
    const base = await this.base(source, meta, space, space === "p3" ? 16 : 8, Math.min(longEdge, Math.max(meta.width, meta.height)), null, "preview");
    return { source: { width: meta.width, height: meta.height }, analysis: base.analysis };
  }

  async render(source: RenderSource, recipe: Recipe, options: RenderOptions): Promise<Developed> {
    const timings: Record<string, number> = {};
    let t0 = performance.now();
    const lap = (name: string) => {
      const now = performance.now();
      timings[name] = Math.round((now - t0) * 10) / 10;
      t0 = now;
    };
    const warnings: string[] = [];
    const meta = await this.meta(source);
    const full = { width: meta.width, height: meta.height };
    const plan = planGeometry(full, recipe.geometry, options.forceAspect);
    const out = outputSize(plan, options.limits);
    const depth: 8 | 16 = options.space === "p3" ? 16 : 8;
    const inDepth: 8 | 16 = options.space === "p3" || (meta.sixteen && options.purpose === "export") ? 16 : 8;
    const needLong = Math.min(Math.max(full.width, full.height), Math.ceil((Math.max(full.width, full.height) * out.width) / plan.extract.width) + 2);
    const exactFit = plan.identity ? out : null;
    const base = await this.base(source, meta, options.space, inDepth, needLong, exactFit, options.purpose);
    lap("decode");
    const stage = await this.stage(base, plan, out, options.purpose);
    lap("geometry");

    const outMax = depth === 16 ? 65535 : 255;
    const grid = options.purpose === "export" ? GRID_EXPORT : GRID_PREVIEW;
    const program = compileColor(globalColorSpec(recipe, options.cube), options.space, base.analysis);
    const lut = this.bake(program, stage.max, outMax, grid);
    const locals: LocalPass[] = [];
    for (const l of recipe.local) {
      if (l.amount <= 0) continue;
      const mask = await this.mask(l, base, stage, plan, out, options, warnings);
      if (!mask) continue;
      const localProgram = compileColor(localColorSpec(l.adjustments), options.space, base.analysis);
      if (localProgram.identity && l.adjustments.clarity === 0) continue;
      locals.push({ lut: this.bake(localProgram, outMax, outMax, GRID_PREVIEW), amount: l.amount / 100, mask, clarity: l.adjustments.clarity / 100 });
    }
    lap("colour");

    const p = recipe.presence;
    const nr = recipe.detail.noiseReduction;
    const sh = recipe.detail.sharpening;
    const fx = recipe.effects;
    const longOut = Math.max(out.width, out.height);
    const scale = out.width / plan.extract.width;
    const useClarity = p.clarity !== 0 || locals.some((l) => l.clarity !== 0);
    const detail: DetailSpec | null =
      useClarity || p.texture !== 0 || sh.amount > 0
        ? {
            luma: await luma(stage),
            clarity: useClarity ? { blur: await blur(stage, Math.max(1, 0.012 * longOut)), amount: p.clarity / 100, table: CLARITY_TABLE } : null,
            texture: p.texture !== 0 ? { blur: await blur(stage, Math.max(0.6, 0.0025 * longOut)), amount: p.texture / 100, table: TEXTURE_TABLE } : null,
            // Radius in full-size pixels; previews show it at their scale (never below half a pixel).
            sharpen:
              sh.amount > 0
                ? {
                    blur: await blur(stage, Math.max(0.5, sh.radius * scale)),
                    amount: sh.amount / 100,
                    table: this.sharpenTable(sh.masking / 100, sh.detail / 100),
                  }
                : null,
          }
        : null;
    const grain =
      fx.grain.amount > 0
        ? await memo(stage, `grain:${fx.grain.size}:${fx.grain.roughness}:${scale}`, async () => {
            const g = grainField(out.width, out.height, fx.grain, scale);
            return { ...g, field: shared(g.field) };
          })
        : null;
    const spec: PassSpec = {
      width: out.width,
      height: out.height,
      src: stage.pixels,
      inMax: stage.max,
      dst: stage.pixels,
      outMax,
      lut,
      toSource: toSource(plan, out),
      detail,
      noise:
        nr.luminance > 0 || nr.color > 0
          ? {
              luminance: nr.luminance / 100,
              color: nr.color / 100,
              detail: nr.detail / 100,
              smooth: nr.luminance > 0 ? await memo(stage, "median", async () => shared(await median(stage))) : null,
              colour: nr.color > 0 ? await memo(stage, "colour", async () => shared(await colourBlur(stage, Math.max(1.5, 0.004 * longOut)))) : null,
            }
          : null,
      locals,
      vignette:
        fx.vignette.amount !== 0
          ? {
              map: await memo(stage, `vignette:${JSON.stringify(fx.vignette)}`, async () => shared(vignetteMap(out.width, out.height, fx.vignette))),
              lighten: fx.vignette.amount > 0,
            }
          : null,
      grain: grain ? { field: grain.field, strength: (fx.grain.amount / 100) * 0.09 * grain.visibility * outMax } : null,
    };
    lap("buffers");
    if (!needsGeneralPass(spec) && lut.kind === "identity") {
      // Nothing to develop: hand out the stage's pixels (read-only: the encoder never writes).
      spec.dst = stage.pixels;
    } else {
      spec.dst = sharedPixels(depth === 16, out.width * out.height * 3);
      await this.pool.run(spec, { chunkPixels: this.chunkPixels, signal: options.signal, onChunk: options.onProgress });
    }
    lap("pass");
    return { pixels: spec.dst, width: out.width, height: out.height, depth, space: options.space, analysis: base.analysis, source: full, warnings, timings };
  }

  private readonly sharpenTables = new Lru<string, Float32Array>(8);

  private sharpenTable(masking: number, detail: number): Float32Array {
    const key = `${masking}:${detail}`;
    let t = this.sharpenTables.get(key);
    if (!t) {
      t = sharpenTable(masking, detail);
      this.sharpenTables.set(key, t);
    }
    return t;
  }

  private bake(program: ReturnType<typeof compileColor>, inMax: number, outMax: number, grid: number): BakedLut {
    const key = `${program.key}|${inMax}|${outMax}|${grid}`;
    let lut = this.luts.get(key);
    if (!lut) {
      lut = bakeLut(program, inMax, outMax, grid);
      this.luts.set(key, lut);
    }
    return lut;
  }

  private async meta(source: RenderSource): Promise<SourceMeta> {
    const hit = this.metas.get(source.key);
    if (hit) return hit;
    const bytes = await source.load();
    let m: Metadata;
    try {
      m = await sharp(bytes).metadata();
    } catch (err) {
      throw Object.assign(new Error(`the image cannot be decoded: ${(err as Error).message}`), { unreadable: true });
    }
    if (!m.width || !m.height) throw Object.assign(new Error("the image has no size"), { unreadable: true });
    const upright = m.autoOrient ?? { width: m.width, height: m.height };
    const meta: SourceMeta = {
      width: upright.width,
      height: upright.height,
      sixteen: m.depth === "ushort" || m.depth === "float" || (m.bitsPerSample ?? 8) > 8,
      hasProfile: !!m.hasProfile,
    };
    this.metas.set(source.key, meta);
    return meta;
  }

  private async base(
    source: RenderSource,
    meta: SourceMeta,
    space: WorkingSpace,
    depth: 8 | 16,
    needLong: number,
    exact: Size | null,
    purpose: "preview" | "export",
  ): Promise<Base> {
    const prefix = `${source.key}|${space}|${depth}|`;
    const fullLong = Math.max(meta.width, meta.height);
    if (purpose === "preview") {
      let best: Base | null = null;
      for (const [k, b] of this.bases.entries()) {
        if (!k.startsWith(prefix)) continue;
        const long = Math.max(b.width, b.height);
        if (exact) {
          if (b.width === exact.width && b.height === exact.height) best = b;
          continue;
        }
        if (long >= needLong && (long <= needLong * 2 || long === fullLong) && (!best || long < Math.max(best.width, best.height))) best = b;
      }
      if (best) return this.bases.get(best.key) as Base;
    }
    const target = exact ?? (purpose === "preview" ? fitLong(meta, Math.min(fullLong, Math.ceil(needLong * 1.25))) : fitLong(meta, needLong));
    // Concurrent previews of a photo not decoded yet share one decode.
    const flightKey = `${prefix}${target.width}x${target.height}|${purpose}`;
    const inFlight = purpose === "preview" ? this.decoding.get(flightKey) : undefined;
    if (inFlight) return inFlight;
    const decoding = this.decode(source, meta, space, depth, target, prefix, purpose);
    if (purpose === "preview") {
      this.decoding.set(flightKey, decoding);
      void decoding.then(
        () => this.decoding.delete(flightKey),
        () => this.decoding.delete(flightKey),
      );
    }
    return decoding;
  }

  private readonly decoding = new Map<string, Promise<Base>>();

  private async decode(
    source: RenderSource,
    meta: SourceMeta,
    space: WorkingSpace,
    depth: 8 | 16,
    target: Size,
    prefix: string,
    purpose: "preview" | "export",
  ): Promise<Base> {
    const bytes = await source.load();
    let img = sharp(bytes, { ignoreIcc: true, limitInputPixels: false, failOn: "error" }).autoOrient();
    if (target.width !== meta.width || target.height !== meta.height) img = img.resize(target.width, target.height, { fit: "fill", kernel: "lanczos3" });
    img = img.removeAlpha();
    if (depth === 16) img = img.toColourspace("rgb16");
    // Converts from the embedded profile (or sRGB when there is none) into the working space.
    if (meta.hasProfile || space !== "srgb") img = img.withIccProfile(space);
    let raw: { data: Buffer; info: OutputInfo };
    try {
      raw = await img.raw(depth === 16 ? { depth: "ushort" } : {}).toBuffer({ resolveWithObject: true });
    } catch (err) {
      throw Object.assign(new Error(`the image cannot be decoded: ${(err as Error).message}`), { unreadable: true });
    }
    // In shared memory: render threads read the base in place.
    const pixels: Pixels = shared(
      depth === 16
        ? new Uint16Array(raw.data.buffer, raw.data.byteOffset, raw.data.length / 2)
        : new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.length),
    );
    const max = depth === 16 ? 65535 : 255;
    const key = `${prefix}${raw.info.width}x${raw.info.height}`;
    const base: Base = {
      key,
      pixels,
      width: raw.info.width,
      height: raw.info.height,
      max,
      space,
      full: { width: meta.width, height: meta.height },
      analysis: analyse(pixels, max),
      maskCache: new Map(),
    };
    if (purpose === "preview") this.bases.set(key, base);
    return base;
  }

  private async stage(base: Base, plan: GeometryPlan, out: Size, purpose: "preview" | "export"): Promise<Stage> {
    const key = `${base.key}|${JSON.stringify([plan.flipHorizontal, plan.flipVertical, plan.angle, plan.extract])}|${out.width}x${out.height}`;
    const hit = purpose === "preview" ? this.stages.get(key) : undefined;
    if (hit) return hit;
    const sixteen = base.max === 65535;
    let pixels: Pixels;
    if (plan.identity && base.width === out.width && base.height === out.height) {
      pixels = base.pixels;
    } else {
      let img = sharp(base.pixels, { raw: { width: base.width, height: base.height, channels: 3 } });
      img = applyPlan(img, plan, base);
      const region = baseRegion(plan, base);
      if (region.width !== out.width || region.height !== out.height) img = img.resize(out.width, out.height, { fit: "fill", kernel: "lanczos3" });
      if (sixteen) img = img.toColourspace("rgb16");
      const raw = await img.raw(sixteen ? { depth: "ushort" } : {}).toBuffer();
      pixels = shared(sixteen ? new Uint16Array(raw.buffer, raw.byteOffset, raw.length / 2) : new Uint8Array(raw.buffer, raw.byteOffset, raw.length));
    }
    const stage: Stage = { pixels, width: out.width, height: out.height, max: base.max, plan, memo: new Map(), masks: new Map() };
    if (purpose === "preview") this.stages.set(key, stage);
    return stage;
  }

  private async mask(
    l: Recipe["local"][number],
    base: Base,
    stage: Stage,
    plan: GeometryPlan,
    out: Size,
    options: RenderOptions,
    warnings: string[],
  ): Promise<MaskSampler | null> {
    const m = l.mask;
    if (m.type === "linear") return linearMask(m, base.full);
    if (m.type === "radial") return radialMask(m, base.full);
    const provider = options.masks?.(m.provider) ?? null;
    if (!provider) {
      warnings.push(`local adjustment "${l.name}" was skipped: no started plugin provides the mask "${m.provider}"`);
      return null;
    }
    const key = `${m.provider}|${JSON.stringify(m.params)}`;
    let onStage = stage.masks.get(key);
    if (!onStage) {
      onStage = (async () => {
        let onBase = base.maskCache.get(key);
        if (!onBase) {
          onBase = (async () => {
            base.srgb8 ??= toSrgb8(base);
            const pixels = await base.srgb8;
            const built = await provider.build({
              pixels,
              width: base.width,
              height: base.height,
              params: m.params,
              ...options.maskContext,
              signal: options.signal,
            });
            if (built.length !== base.width * base.height) {
              throw new Error(
                `mask provider "${m.provider}" returned ${built.length} bytes for a ${base.width}×${base.height} image (expected one byte per pixel)`,
              );
            }
            return shared(new Uint8Array(built.buffer, built.byteOffset, built.length));
          })();
          base.maskCache.set(key, onBase);
          onBase.catch(() => base.maskCache.delete(key));
        }
        const bitmap = await onBase;
        if (plan.identity && base.width === out.width && base.height === out.height) return bitmap;
        return shared(await transformMask(bitmap, base, plan, out));
      })();
      stage.masks.set(key, onStage);
      onStage.catch(() => stage.masks.delete(key));
    }
    try {
      return bitmapMask(await onStage, m.invert);
    } catch (err) {
      warnings.push(`local adjustment "${l.name}" was skipped: ${(err as Error).message}`);
      return null;
    }
  }
}

function fitLong(meta: SourceMeta, long: number): Size {
  const s = Math.min(1, long / Math.max(meta.width, meta.height));
  return { width: Math.max(1, Math.round(meta.width * s)), height: Math.max(1, Math.round(meta.height * s)) };
}

async function toSrgb8(base: Base): Promise<Uint8Array> {
  if (base.max === 255 && base.space === "srgb") return base.pixels as Uint8Array;
  if (base.space === "srgb") return Uint8Array.from(base.pixels, (v) => v >> 8);
  // 16-bit raw is Display P3 to sharp: converting it to sRGB gives the providers what they expect.
  const raw = await sharp(base.pixels, { raw: { width: base.width, height: base.height, channels: 3 } })
    .withIccProfile("srgb")
    .raw()
    .toBuffer();
  return new Uint8Array(raw.buffer, raw.byteOffset, raw.length);
}

/** Runs a base-sized mask through the same geometry as the pixels. */
async function transformMask(bitmap: Uint8Array, base: Base, plan: GeometryPlan, out: Size): Promise<Uint8Array> {
  const img = applyPlan(sharp(bitmap, { raw: { width: base.width, height: base.height, channels: 1 } }), plan, base).resize(out.width, out.height, {
    fit: "fill",
  });
  const raw = await img.toColourspace("b-w").raw().toBuffer();
  return new Uint8Array(raw.buffer, raw.byteOffset, raw.length);
}

/** The plan's extract in the pixels of a base (a downscaled decode) after its flips and rotation. */
function baseRegion(plan: GeometryPlan, base: Size): { left: number; top: number; width: number; height: number; canvas: Size } {
  const sb = base.width / plan.source.width;
  let cw = base.width;
  let ch = base.height;
  if (plan.angle % 360 !== 0) {
    const th = (plan.angle * Math.PI) / 180;
    cw = Math.round(Math.abs(base.width * Math.cos(th)) + Math.abs(base.height * Math.sin(th)));
    ch = Math.round(Math.abs(base.width * Math.sin(th)) + Math.abs(base.height * Math.cos(th)));
  }
  const ex = plan.extract;
  // After an arbitrary rotation the rectangle's corners touch the photo's edges, where libvips
  // interpolates with the background: keep a pixel and a half inside.
  const inset = plan.angle % 90 !== 0 ? 1.5 : 0;
  const l = cw / 2 + (ex.left - plan.canvas.width / 2) * sb + inset;
  const t = ch / 2 + (ex.top - plan.canvas.height / 2) * sb + inset;
  const left = Math.max(0, Math.round(l));
  const top = Math.max(0, Math.round(t));
  const width = Math.max(1, Math.min(cw - left, Math.round(ex.width * sb - 2 * inset)));
  const height = Math.max(1, Math.min(ch - top, Math.round(ex.height * sb - 2 * inset)));
  return { left, top, width, height, canvas: { width: cw, height: ch } };
}

/** Flip → rotate → extract on a sharp pipeline over a base-sized image (pixels or a mask). */
function applyPlan(img: Sharp, plan: GeometryPlan, base: Size): Sharp {
  let out = img;
  if (plan.flipVertical) out = out.flip();
  if (plan.flipHorizontal) out = out.flop();
  if (plan.angle % 360 !== 0) out = out.rotate(plan.angle, { background: { r: 0, g: 0, b: 0 } });
  const r = baseRegion(plan, base);
  if (r.left !== 0 || r.top !== 0 || r.width !== r.canvas.width || r.height !== r.canvas.height) {
    out = out.extract({ left: r.left, top: r.top, width: r.width, height: r.height });
  }
  return out;
}
