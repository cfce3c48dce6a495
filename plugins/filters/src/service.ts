import { buffer } from "node:stream/consumers";
/**
 * The filters plugin's logic: routes, GraphQL and job processors call this; it calls the kernel
 * only through `ctx` (assets, database, jobs, events, settings, extensions).
 */
import { type AssetInfo, type ExtensionPointHandle, isCrealiaError, type JobContext, type JobRecord, type PluginContext } from "@crealia/kernel/sdk";
import { filtersError } from "./errors.js";
import { type ExportSettings, PLATFORMS, parseExportOptions, type ResolvedExport } from "./export/options.js";
import { applyPatch, compactRecipe, parsePatch, parseRecipe, pickGroups } from "./recipe/recipe.js";
import { DEFAULT_SYNC_GROUPS, neutralRecipe, RECIPE_GROUPS, type Recipe, type RecipeGroup, type RecipePatch } from "./recipe/schema.js";
import { analyse, autoEnhance, type Histogram } from "./render/analysis.js";
import { formatCube, parseCube } from "./render/color/cube.js";
import type { WorkingSpace } from "./render/color/space.js";
import { type Encoded, EXTENSION, encode, encodeWithin, type Format } from "./render/encode.js";
import { exifToKeep } from "./render/exif.js";
import { type Developed, type MaskProvider, Renderer, type RenderSource } from "./render/renderer.js";
import { LutStore } from "./store/luts.js";
import { type Preset, type PresetInput, PresetStore } from "./store/presets.js";
import { type RecipeState, RecipeStore } from "./store/recipes.js";

export const EXPORT_JOB = "filters.export";
export const APPLY_JOB = "filters.apply";
export const PRESET_DOCUMENT = "crealia.filters.preset";

export interface Settings extends ExportSettings {
  previewFormat: "jpeg" | "webp";
  previewQuality: number;
}

export interface PreviewOptions {
  recipe?: unknown;
  /** Long edge of the preview, in pixels. */
  size: number;
  format?: "jpeg" | "webp" | "png";
  quality?: number;
  colorSpace?: WorkingSpace;
}

export interface PreviewResult {
  encoded: Encoded;
  histogram: Histogram;
  warnings: string[];
  timings: Record<string, number>;
}

export interface ExportPayload {
  assetId: string;
  sourceVersion: number;
  /** The recipe as it was when the export was asked for (compact). */
  recipe: RecipePatch;
  options: unknown;
}

export interface ApplyPayload {
  assetId: string;
  patch: RecipePatch;
  mode: "merge" | "replace";
  label: string;
  export?: unknown;
}

export interface ExportResult {
  saveAs: "version" | "asset";
  /** The asset developed. */
  assetId: string;
  /** The new version of `assetId` (saveAs version). */
  version?: number;
  /** The new asset (saveAs asset). */
  newAssetId?: string;
  /** The kernel's ingest job of the new file. */
  ingestJobId: string;
  format: Format;
  mime: string;
  width: number;
  height: number;
  bytes: number;
  quality: number;
  colorSpace: WorkingSpace;
  platform: string | null;
  warnings: string[];
}

const SOFTWARE = "Crealia filters";

/** An error that retrying cannot fix (missing asset, bad recipe): the job fails at once. */
function final<T extends Error>(err: T): T {
  return Object.assign(err, { retryable: false });
}

/** A job processor whose 4xx errors (the request itself is wrong) are not retried. */
function noRetryOnClientErrors<J, R>(processor: (job: J) => Promise<R>): (job: J) => Promise<R> {
  return async (job) => {
    try {
      return await processor(job);
    } catch (err) {
      if (isCrealiaError(err) && err.status < 500) throw final(err);
      throw err;
    }
  };
}

export class FiltersService {
  readonly renderer: Renderer;
  readonly recipes: RecipeStore;
  readonly presets: PresetStore;
  readonly luts: LutStore;

  constructor(
    private readonly ctx: PluginContext,
    private readonly maskPoint: ExtensionPointHandle<MaskProvider>,
    renderer?: Renderer,
  ) {
    this.renderer = renderer ?? new Renderer({ cacheMb: Number(process.env.FILTERS_PREVIEW_CACHE_MB) || 256 });
    this.recipes = new RecipeStore(ctx.db);
    this.presets = new PresetStore(ctx.db);
    this.luts = new LutStore(ctx.db);
  }

  async settings(tenantId: string): Promise<Settings> {
    return this.ctx.settings.get<Settings>(tenantId);
  }

  /** The asset, if the tenant has it and it is an image. */
  async asset(tenantId: string, assetId: string): Promise<AssetInfo> {
    const asset = /^[0-9a-f-]{36}$/i.test(assetId) ? await this.ctx.assets.get(tenantId, assetId) : null;
    if (!asset) throw final(filtersError("FILTERS_ASSET_NOT_FOUND", `there is no asset ${assetId}`));
    if (asset.kind !== "image") throw final(filtersError("FILTERS_NOT_AN_IMAGE", `asset ${assetId} is a ${asset.kind}: only images can be developed`));
    return asset;
  }

  /** The bytes of one asset version for the renderer, read at most once per source. */
  source(tenantId: string, assetId: string, version: number): RenderSource {
    let bytes: Promise<Buffer> | null = null;
    return {
      key: `${tenantId}/${assetId}/v${version}`,
      load: () => {
        bytes ??= this.ctx.assets.open(tenantId, assetId, { version }).then(({ stream }) => buffer(stream));
        return bytes;
      },
    };
  }

  maskProviders(): { id: string; plugin: string; name: string; label: string; description: string | null }[] {
    return this.maskPoint.contributions().map((c) => ({
      id: `${c.pluginId}/${c.value.name}`,
      plugin: c.pluginId,
      name: c.value.name,
      label: c.value.label ?? c.value.name,
      description: c.value.description ?? null,
    }));
  }

  private findMask = (provider: string): MaskProvider | null => {
    const c = this.maskPoint.contributions().find((x) => `${x.pluginId}/${x.value.name}` === provider);
    return c?.value ?? null;
  };

  private async cubeFor(tenantId: string, recipe: Recipe) {
    return recipe.lut ? this.luts.load(tenantId, recipe.lut.id) : null;
  }

  private async develop(
    tenantId: string,
    asset: AssetInfo,
    version: number,
    recipe: Recipe,
    options: {
      space: WorkingSpace;
      purpose: "preview" | "export";
      limits: ResolvedExport["limits"];
      forceAspect?: number;
      signal?: AbortSignal;
      onProgress?: (f: number) => Promise<void>;
    },
    source = this.source(tenantId, asset.id, version),
  ): Promise<Developed> {
    try {
      return await this.renderer.render(source, recipe, {
        ...options,
        cube: await this.cubeFor(tenantId, recipe),
        masks: this.findMask,
        maskContext: { tenantId, assetId: asset.id, version },
      });
    } catch (err) {
      if ((err as { unreadable?: boolean }).unreadable)
        throw final(filtersError("FILTERS_IMAGE_UNREADABLE", `asset ${asset.id} version ${version}: ${(err as Error).message}`));
      throw err;
    }
  }

  // ---- recipes and history ----

  async getRecipe(tenantId: string, assetId: string): Promise<RecipeState> {
    const asset = await this.asset(tenantId, assetId);
    return this.recipes.get(tenantId, assetId, asset.currentVersion);
  }

  /** Checks a full or partial recipe document, and that the LUT it names exists. */
  async checkRecipe(tenantId: string, input: unknown): Promise<Recipe> {
    const recipe = parseRecipe(input);
    if (recipe.lut) await this.luts.load(tenantId, recipe.lut.id);
    return recipe;
  }

  async saveRecipe(
    tenantId: string,
    assetId: string,
    input: unknown,
    options: { label?: string; userId: string | null; baseRevision?: number; sourceVersion?: number },
  ): Promise<RecipeState> {
    const asset = await this.asset(tenantId, assetId);
    const recipe = await this.checkRecipe(tenantId, input);
    return this.commit(tenantId, asset, recipe, { ...options, label: options.label ?? "Edit" });
  }

  private async commit(
    tenantId: string,
    asset: AssetInfo,
    recipe: Recipe,
    options: { label: string; userId: string | null; baseRevision?: number; sourceVersion?: number },
  ): Promise<RecipeState> {
    const chosen = options.sourceVersion;
    if (chosen !== undefined && (chosen < 1 || chosen > asset.currentVersion)) {
      throw filtersError("FILTERS_ASSET_NOT_FOUND", `asset ${asset.id} has no version ${chosen} (it has 1 to ${asset.currentVersion})`);
    }
    // The version a recipe develops is fixed at its first save (the version current then) unless
    // a save names another: exports that add versions never become the recipe's source.
    const state = await this.recipes.save(tenantId, asset.id, recipe, {
      label: options.label,
      userId: options.userId,
      sourceVersion: chosen,
      defaultSourceVersion: asset.currentVersion,
      baseRevision: options.baseRevision,
    });
    await this.ctx.events.publish("filters.recipe-saved", { assetId: asset.id, revision: state.revision, label: options.label }, { tenantId });
    return state;
  }

  async step(tenantId: string, assetId: string, direction: -1 | 1): Promise<RecipeState> {
    const asset = await this.asset(tenantId, assetId);
    return this.recipes.step(tenantId, assetId, direction, asset.currentVersion);
  }

  async history(tenantId: string, assetId: string) {
    await this.asset(tenantId, assetId);
    return this.recipes.history(tenantId, assetId);
  }

  async applyPreset(tenantId: string, assetId: string, presetId: string, userId: string | null): Promise<RecipeState> {
    const asset = await this.asset(tenantId, assetId);
    const preset = await this.presets.get(tenantId, presetId);
    const current = await this.recipes.get(tenantId, assetId, asset.currentVersion);
    const next = applyPatch(current.recipe, preset.recipe);
    if (next.lut) await this.luts.load(tenantId, next.lut.id);
    return this.commit(tenantId, asset, next, { label: `Preset: ${preset.name}`, userId });
  }

  /** Auto-enhance from the photo's histogram: the patch, and (with `apply`) the recipe saved with it. */
  async autoEnhance(tenantId: string, assetId: string, apply: boolean, userId: string | null): Promise<{ patch: RecipePatch; state: RecipeState | null }> {
    const asset = await this.asset(tenantId, assetId);
    const current = await this.recipes.get(tenantId, assetId, asset.currentVersion);
    let analysis: Awaited<ReturnType<Renderer["analyse"]>>["analysis"];
    try {
      ({ analysis } = await this.renderer.analyse(this.source(tenantId, assetId, current.sourceVersion)));
    } catch (err) {
      if ((err as { unreadable?: boolean }).unreadable) throw filtersError("FILTERS_IMAGE_UNREADABLE", (err as Error).message);
      throw err;
    }
    const patch = autoEnhance(analysis);
    const state = apply ? await this.commit(tenantId, asset, applyPatch(current.recipe, patch), { label: "Auto", userId }) : null;
    return { patch, state };
  }

  // ---- preview ----

  async preview(tenantId: string, assetId: string, o: PreviewOptions): Promise<PreviewResult & { revision: number | null }> {
    const asset = await this.asset(tenantId, assetId);
    const settings = await this.settings(tenantId);
    const state = await this.recipes.get(tenantId, assetId, asset.currentVersion);
    const recipe = o.recipe === undefined ? state.recipe : await this.checkRecipe(tenantId, o.recipe);
    const space = o.colorSpace ?? "srgb";
    const dev = await this.develop(tenantId, asset, state.sourceVersion, recipe, {
      space,
      purpose: "preview",
      limits: { maxWidth: o.size, maxHeight: o.size },
    });
    const t = performance.now();
    const encoded = await encode(dev, { format: o.format ?? settings.previewFormat, quality: o.quality ?? settings.previewQuality, fast: true });
    dev.timings.encode = Math.round((performance.now() - t) * 10) / 10;
    return {
      encoded,
      histogram: analyse(dev.pixels, dev.depth === 16 ? 65535 : 255, 60_000).histogram,
      warnings: dev.warnings,
      timings: dev.timings,
      revision: o.recipe === undefined ? state.revision : null,
    };
  }

  // ---- export ----

  /** Enqueues an export of the asset's recipe as it is now (or of `recipe`). */
  async enqueueExport(tenantId: string, assetId: string, input: { options?: unknown; recipe?: unknown }, userId: string | null): Promise<JobRecord> {
    const asset = await this.asset(tenantId, assetId);
    parseExportOptions(input.options ?? {}, await this.settings(tenantId));
    const state = await this.recipes.get(tenantId, assetId, asset.currentVersion);
    const recipe = input.recipe === undefined ? state.recipe : await this.checkRecipe(tenantId, input.recipe);
    const payload: ExportPayload = { assetId, sourceVersion: state.sourceVersion, recipe: compactRecipe(recipe), options: input.options ?? {} };
    return this.ctx.jobs.enqueue(EXPORT_JOB, payload, { tenantId, userId, assetId });
  }

  /** The `filters.export` processor. */
  runExport = noRetryOnClientErrors(async (job: JobContext<ExportPayload>): Promise<ExportResult> => {
    const { assetId, sourceVersion } = job.payload;
    const asset = await this.asset(job.tenantId, assetId);
    let recipe: Recipe;
    let options: ResolvedExport;
    try {
      recipe = parseRecipe(job.payload.recipe);
      options = parseExportOptions(job.payload.options, await this.settings(job.tenantId));
    } catch (err) {
      throw final(err as Error);
    }
    return this.exportRecipe(job, asset, sourceVersion, recipe, options, [0, 1]);
  });

  private async exportRecipe(
    job: JobContext<unknown>,
    asset: AssetInfo,
    sourceVersion: number,
    recipe: Recipe,
    o: ResolvedExport,
    span: [number, number],
  ): Promise<ExportResult> {
    const tenantId = job.tenantId;
    const at = (f: number) => job.progress(span[0] + (span[1] - span[0]) * f);
    await at(0.02);
    const source = this.source(tenantId, asset.id, sourceVersion);
    const dev = await this.develop(
      tenantId,
      asset,
      sourceVersion,
      recipe,
      { space: o.colorSpace, purpose: "export", limits: o.limits, forceAspect: o.forceAspect, signal: job.signal, onProgress: (f) => at(0.05 + 0.75 * f) },
      source,
    );
    await at(0.82);
    job.signal.throwIfAborted();
    const exif = await exifToKeep(await source.load(), o.exif, `${SOFTWARE} ${this.ctx.manifest.version}`);
    const enc = o.maxBytes
      ? await encodeWithin(dev, { format: o.format, quality: o.quality, exif }, o.maxBytes)
      : await encode(dev, { format: o.format, quality: o.quality, exif });
    await at(0.95);
    job.signal.throwIfAborted();
    const base = asset.name.replace(/\.[^.]+$/, "");
    const what = o.platform ? (PLATFORMS.find((p) => p.id === o.platform)?.label ?? o.platform) : "edited";
    const saved =
      o.saveAs === "version"
        ? { kind: "version" as const, ...(await this.ctx.assets.addVersion(tenantId, asset.id, enc.data, { userId: job.userId, idempotencyKey: job.id })) }
        : {
            kind: "asset" as const,
            ...(await this.ctx.assets.create(tenantId, enc.data, {
              name: `${o.name ?? `${base} (${what})`}.${EXTENSION[o.format]}`,
              tags: ["filters", "export", ...(o.platform ? [o.platform] : [])],
              userId: job.userId,
              idempotencyKey: job.id,
            })),
          };
    const result: ExportResult = {
      saveAs: saved.kind,
      assetId: asset.id,
      ...(saved.kind === "version" ? { version: saved.version } : { newAssetId: saved.assetId }),
      ingestJobId: saved.jobId,
      format: enc.format,
      mime: enc.mime,
      width: enc.width,
      height: enc.height,
      bytes: enc.data.length,
      quality: enc.quality,
      colorSpace: o.colorSpace,
      platform: o.platform ?? null,
      warnings: dev.warnings,
    };
    await this.ctx.events.publish("filters.exported", result, { tenantId });
    await at(1);
    return result;
  }

  // ---- batch and sync ----

  /**
   * Applies a recipe or preset to many assets: one `kernel.batch` parent with a `filters.apply`
   * child per asset (saves the recipe, exports when asked). A failing asset fails its child only.
   */
  async enqueueBatch(
    tenantId: string,
    input: { assetIds: string[]; recipe?: unknown; presetId?: string; mode?: "merge" | "replace"; groups?: string[]; export?: unknown; label?: string },
    userId: string | null,
  ) {
    if (!Array.isArray(input.assetIds) || input.assetIds.length === 0) throw filtersError("FILTERS_INVALID_OPTIONS", "assetIds must list at least one asset");
    if (input.assetIds.length > 1000) throw filtersError("FILTERS_INVALID_OPTIONS", "a batch holds at most 1000 assets");
    if ((input.recipe === undefined) === (input.presetId === undefined)) throw filtersError("FILTERS_INVALID_OPTIONS", "give either recipe or presetId");
    let patch: RecipePatch;
    let label: string;
    if (input.presetId !== undefined) {
      const preset = await this.presets.get(tenantId, input.presetId);
      patch = preset.recipe;
      label = input.label ?? `Preset: ${preset.name}`;
    } else {
      patch = parsePatch(input.recipe);
      label = input.label ?? "Batch edit";
    }
    if (input.groups) patch = pickGroups(applyPatch(neutralRecipe(), patch), checkGroups(input.groups));
    const full = applyPatch(neutralRecipe(), patch);
    if (full.lut) await this.luts.load(tenantId, full.lut.id);
    if (input.export !== undefined) parseExportOptions(input.export, await this.settings(tenantId));
    const mode = input.mode ?? "merge";
    if (mode !== "merge" && mode !== "replace") throw filtersError("FILTERS_INVALID_OPTIONS", `mode must be merge or replace (got ${JSON.stringify(mode)})`);
    const payloads: ApplyPayload[] = input.assetIds.map((assetId) => ({
      assetId,
      patch,
      mode,
      label,
      ...(input.export !== undefined ? { export: input.export } : {}),
    }));
    return this.ctx.jobs.enqueueBatch(APPLY_JOB, payloads, { tenantId, userId });
  }

  /** Copies groups of one asset's recipe to others ("sync", copy/paste settings), as a batch. */
  async sync(tenantId: string, sourceAssetId: string, targets: string[], groups: string[] | undefined, userId: string | null) {
    const state = await this.getRecipe(tenantId, sourceAssetId);
    const chosen = groups ? checkGroups(groups) : DEFAULT_SYNC_GROUPS;
    const patch = pickGroups(state.recipe, chosen);
    return this.enqueueBatch(tenantId, { assetIds: targets, recipe: patch, mode: "merge", label: "Synced settings" }, userId);
  }

  /** The `filters.apply` processor: one asset of a batch. */
  runApply = noRetryOnClientErrors(async (job: JobContext<ApplyPayload>) => {
    const { assetId, patch, mode, label } = job.payload;
    const asset = await this.asset(job.tenantId, assetId);
    const current = await this.recipes.get(job.tenantId, assetId, asset.currentVersion);
    let next: Recipe;
    let options: ResolvedExport | null = null;
    try {
      next = applyPatch(mode === "replace" ? neutralRecipe() : current.recipe, parsePatch(patch));
      if (job.payload.export !== undefined) options = parseExportOptions(job.payload.export, await this.settings(job.tenantId));
    } catch (err) {
      throw final(err as Error);
    }
    const state = await this.commit(job.tenantId, asset, next, { label, userId: job.userId });
    await job.progress(options ? 0.1 : 1);
    const exported = options ? await this.exportRecipe(job, asset, state.sourceVersion, next, options, [0.1, 1]) : null;
    return { assetId, revision: state.revision, export: exported };
  });

  // ---- presets ----

  async createPreset(
    tenantId: string,
    input: { name?: unknown; description?: unknown; group?: unknown; recipe?: unknown },
    userId: string | null,
  ): Promise<Preset> {
    return this.presets.create(tenantId, checkPresetInput(input, true) as PresetInput, userId);
  }

  async updatePreset(tenantId: string, id: string, input: { name?: unknown; description?: unknown; group?: unknown; recipe?: unknown }): Promise<Preset> {
    return this.presets.update(tenantId, id, checkPresetInput(input, false));
  }

  /** A preset as a portable JSON document; the LUT it uses travels inside as `.cube` text. */
  async exportPreset(tenantId: string, id: string) {
    const preset = await this.presets.get(tenantId, id);
    const luts: Record<string, { name: string; cube: string }> = {};
    const lutId = preset.recipe.lut?.id;
    if (lutId) {
      const lut = await this.luts.load(tenantId, lutId);
      luts[lutId] = { name: lut.name, cube: formatCube(lut) };
    }
    return {
      schema: PRESET_DOCUMENT,
      version: 1,
      name: preset.name,
      description: preset.description,
      group: preset.group,
      recipe: preset.recipe,
      ...(Object.keys(luts).length ? { luts } : {}),
    };
  }

  /** Imports a preset document (its LUTs too); `rename` picks a free name instead of failing on a taken one. */
  async importPreset(tenantId: string, doc: unknown, options: { rename?: boolean }, userId: string | null): Promise<Preset> {
    const d = doc as Record<string, unknown> | null;
    if (!d || typeof d !== "object" || d.schema !== PRESET_DOCUMENT) {
      throw filtersError("FILTERS_INVALID_PRESET", `a preset document has "schema": "${PRESET_DOCUMENT}" (export one with GET /presets/:id/export)`);
    }
    if (d.version !== 1) throw filtersError("FILTERS_INVALID_PRESET", `preset document version ${JSON.stringify(d.version)} is not supported (expected 1)`);
    let recipe = parsePatch(d.recipe);
    const lutId = recipe.lut?.id;
    if (lutId) {
      const luts = (d.luts ?? {}) as Record<string, { name?: string; cube?: string }>;
      const entry = luts[lutId];
      if (!entry || typeof entry.cube !== "string")
        throw filtersError("FILTERS_INVALID_PRESET", `the preset uses LUT ${lutId} but the document does not carry it under luts`);
      const stored = await this.luts.put(tenantId, entry.name ?? "Imported LUT", parseCube(entry.cube));
      recipe = { ...recipe, lut: { id: stored.id, amount: recipe.lut?.amount ?? 100 } };
    }
    const input = checkPresetInput({ name: d.name, description: d.description ?? undefined, group: d.group ?? undefined, recipe }, true) as PresetInput;
    if (options.rename) input.name = await this.presets.freeName(tenantId, input.name);
    return this.presets.create(tenantId, input, userId);
  }

  async importLut(tenantId: string, name: string, cube: string) {
    if (typeof cube !== "string" || !cube.trim()) throw filtersError("FILTERS_INVALID_LUT", "send the .cube file's text in cube");
    return this.luts.put(tenantId, name, parseCube(cube));
  }
}

function checkGroups(groups: unknown): RecipeGroup[] {
  if (!Array.isArray(groups) || groups.some((g) => typeof g !== "string" || !Object.hasOwn(RECIPE_GROUPS, g))) {
    throw filtersError("FILTERS_INVALID_OPTIONS", `groups must be a list of ${Object.keys(RECIPE_GROUPS).join(", ")}`);
  }
  return groups as RecipeGroup[];
}

function checkPresetInput(input: { name?: unknown; description?: unknown; group?: unknown; recipe?: unknown }, creating: boolean): Partial<PresetInput> {
  const out: Partial<PresetInput> = {};
  const bad = (field: string, why: string) => filtersError("FILTERS_INVALID_PRESET", `preset ${field} ${why}`, [{ path: `/${field}`, message: why }]);
  if (input.name !== undefined || creating) {
    if (typeof input.name !== "string" || !input.name.trim() || input.name.length > 100)
      throw bad("name", "must be a non-empty string of at most 100 characters");
    out.name = input.name.trim();
  }
  if (input.description !== undefined && input.description !== null) {
    if (typeof input.description !== "string" || input.description.length > 1000) throw bad("description", "must be a string of at most 1000 characters");
    out.description = input.description;
  }
  if (input.group !== undefined && input.group !== null) {
    if (typeof input.group !== "string" || input.group.length > 100) throw bad("group", "must be a string of at most 100 characters");
    out.group = input.group;
  }
  if (input.recipe !== undefined || creating) {
    if (input.recipe === undefined) throw bad("recipe", "is required");
    out.recipe = parsePatch(input.recipe);
  }
  return out;
}
