import { kernelError } from "../errors.js";
import { DeviceScheduler } from "../gpu/device-scheduler.js";
import { CPU_DEVICE, type Device, type DeviceReport, discoverDevices } from "../gpu/devices.js";
import { MicroBatcher } from "../gpu/micro-batcher.js";
import { InferenceSessionCache } from "../gpu/session-cache.js";
import { batchKey, concatFeeds, type Feeds, rowsOf, splitOutputs } from "../gpu/tensor-batch.js";
import type { Logger } from "../logger.js";
import type { ModelManifest } from "../sdk/model-manifest.js";
import type { ModelStore } from "./model-store.js";
import { createOrtSession, type ModelRuntimeSession, type SessionFactory } from "./ort-session.js";
import { createTfjsSession } from "./tfjs-session.js";

export interface ModelServiceOptions {
  store: ModelStore;
  log: Logger;
  /** `CREALIA_GPUS` (see discoverDevices); null: ask nvidia-smi. */
  gpus?: string | null;
  /** Finds the devices; default: `discoverDevices({ gpus })`. */
  discover?: () => Promise<DeviceReport>;
  /**
   * Warm-session budget per device, in MiB (`CREALIA_MODEL_CACHE_MB`). Default: a quarter of each
   * GPU's memory, 2048 on the CPU. On a GPU it is set aside from what the scheduler leases.
   */
  sessionBudgetMb?: number | null;
  /** Creates ONNX sessions; default: ONNX Runtime. `tfjs-graph` models always get `createTfjsSession`. */
  createSession?: SessionFactory;
}

/** How one call wants to run: the memory to lease and whether GPUs are allowed. */
export interface RunPlacement {
  memoryMb: number;
  /** Logged-once key of the CPU fallback (job type or model id). */
  key: string;
  /** Why GPUs are not allowed for this caller (no `gpu.use`), or null. */
  cpuOnly: string | null;
  signal?: AbortSignal;
}

export interface RunResult {
  outputs: Feeds;
  device: string;
  fallback: string | null;
  batchSize: number;
}

export interface LeasedSession {
  modelId: string;
  device: string;
  fallback: string | null;
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(feeds: Feeds): Promise<Feeds>;
  release(): void;
}

interface Runtime {
  report: DeviceReport;
  scheduler: DeviceScheduler;
  cache: InferenceSessionCache<ModelRuntimeSession>;
  devices: Map<string, Device>;
}

interface BatchItem {
  feeds: Feeds;
  placement: RunPlacement;
}

const CPU_BUDGET_MB = 2048;

/**
 * Runs models for plugins: devices are found once (on first use), leased through the
 * DeviceScheduler, sessions kept warm in the InferenceSessionCache, and calls to a model whose
 * manifest allows it micro-batched.
 */
export class ModelService {
  readonly store: ModelStore;
  private readonly log: Logger;
  private runtime: Promise<Runtime> | null = null;
  private readonly batchers = new Map<string, MicroBatcher<BatchItem, RunResult>>();

  constructor(private readonly options: ModelServiceOptions) {
    this.store = options.store;
    this.log = options.log;
  }

  manifest(modelId: string): ModelManifest {
    return this.store.registry.get(modelId).manifest;
  }

  manifests(): ModelManifest[] {
    return this.store.registry.list().map((m) => m.manifest);
  }

  /** The devices of this worker, found (and logged) on first call. */
  async devices(): Promise<DeviceReport> {
    return (await this.ready()).report;
  }

  /** Leases a device, runs once (batched with concurrent calls when the manifest allows) and gives the device back. */
  async run(modelId: string, feeds: Feeds, placement: RunPlacement): Promise<RunResult> {
    const manifest = this.manifest(modelId);
    checkFeeds(manifest, feeds);
    if (placement.signal?.aborted) throw placement.signal.reason;
    if (manifest.batch) return this.batcher(manifest).submit({ feeds, placement });
    const session = await this.session(modelId, placement);
    try {
      return { outputs: await session.run(feeds), device: session.device, fallback: session.fallback, batchSize: 1 };
    } finally {
      session.release();
    }
  }

  /** Leases a device and holds the model's warm session on it until `release()`. */
  async session(modelId: string, placement: RunPlacement): Promise<LeasedSession> {
    const manifest = this.manifest(modelId);
    const rt = await this.ready();
    const cpuOnly = placement.cpuOnly ?? cpuOnlyRuntime(manifest);
    const lease = await rt.scheduler.lease(placement.memoryMb, { signal: placement.signal, key: placement.key, cpuOnly: cpuOnly ?? undefined });
    let handle: Awaited<ReturnType<typeof rt.cache.acquire>>;
    try {
      handle = await rt.cache.acquire(modelId, lease.device.id, manifest.memoryMb);
    } catch (err) {
      lease.release();
      throw err;
    }
    let released = false;
    return {
      modelId,
      device: lease.device.id,
      fallback: lease.fallback,
      inputNames: handle.session.inputNames,
      outputNames: handle.session.outputNames,
      run: (feeds) => {
        if (released) return Promise.reject(new Error(`the session of ${modelId} was released`));
        checkFeeds(manifest, feeds);
        return handle.session.run(feeds);
      },
      release: () => {
        if (released) return;
        released = true;
        handle.done();
        lease.release();
      },
    };
  }

  /** Releases the warm sessions (kernel stop). */
  async stop(): Promise<void> {
    for (const b of this.batchers.values()) b.flushAll();
    if (!this.runtime) return;
    const rt = await this.runtime.catch(() => null);
    await rt?.cache.clear();
  }

  private batcher(manifest: ModelManifest): MicroBatcher<BatchItem, RunResult> {
    let batcher = this.batchers.get(manifest.id);
    if (!batcher) {
      const maxBatch = manifest.batch?.maxBatch ?? 1;
      batcher = new MicroBatcher<BatchItem, RunResult>({
        windowMs: manifest.batch?.windowMs ?? 5,
        maxBatch,
        key: (item) => `${item.placement.cpuOnly ? "cpu" : "any"}:${item.placement.memoryMb}:${item.placement.key}:${batchKey(item.feeds)}`,
        run: async (items) => {
          const first = items[0] as BatchItem;
          const session = await this.session(manifest.id, { ...first.placement, signal: undefined });
          try {
            if (items.length === 1) return [{ outputs: await session.run(first.feeds), device: session.device, fallback: session.fallback, batchSize: 1 }];
            const { feeds, rows } = concatFeeds(items.map((i) => i.feeds));
            const outputs = splitOutputs(await session.run(feeds), rows);
            return outputs.map((o) => ({ outputs: o, device: session.device, fallback: session.fallback, batchSize: items.length }));
          } finally {
            session.release();
          }
        },
      });
      this.batchers.set(manifest.id, batcher);
    }
    return batcher;
  }

  private ready(): Promise<Runtime> {
    this.runtime ??= this.start();
    return this.runtime;
  }

  private async start(): Promise<Runtime> {
    const report = await (this.options.discover ?? (() => discoverDevices({ gpus: this.options.gpus ?? null })))();
    for (const warning of report.warnings) this.log.warn(warning);
    const configured = this.options.sessionBudgetMb ?? null;
    const budgetOf = (d: Device) => configured ?? (d.kind === "gpu" ? Math.floor((d.memoryMb ?? 0) / 4) : CPU_BUDGET_MB);
    // On a GPU the warm-session budget is set aside; the scheduler leases the rest.
    const leasable = report.devices.map((d) => (d.kind === "gpu" ? { ...d, memoryMb: Math.max(0, (d.memoryMb ?? 0) - budgetOf(d)) } : d));
    const devices = new Map(report.devices.map((d) => [d.id, d]));
    this.log.info(
      {
        devices: report.devices.map((d) => (d.kind === "gpu" ? `${d.id} (${d.memoryMb} MiB)` : d.id)),
        providers: report.providers.filter((p) => p.available).map((p) => p.name),
      },
      "model devices",
    );
    const scheduler = new DeviceScheduler(leasable, { log: (message, data) => this.log.warn(data, message) });
    const createSession = this.options.createSession ?? createOrtSession;
    const cache = new InferenceSessionCache<ModelRuntimeSession>({
      budgetMb: (deviceId) => budgetOf(devices.get(deviceId) ?? CPU_DEVICE),
      create: async (modelId, deviceId) => {
        const loaded = await this.store.load(modelId);
        if (loaded.manifest.format === "tfjs-graph") return createTfjsSession(loaded);
        return createSession(loaded.bytes, devices.get(deviceId) ?? CPU_DEVICE);
      },
      onError: (err, key) => this.log.warn({ err, key }, "releasing a model session failed"),
    });
    return { report, scheduler, cache, devices };
  }
}

/** Why a model's runtime cannot use a GPU at all, or null: a tfjs graph runs on tfjs's WASM backend, on the CPU. */
function cpuOnlyRuntime(manifest: ModelManifest): string | null {
  return manifest.format === "tfjs-graph" ? `model ${manifest.id} is a TensorFlow.js graph, run on the CPU by tfjs-backend-wasm` : null;
}

/** Refuses feeds that do not match the manifest's inputs (names, types, fixed dimensions) with `KERNEL_VALIDATION`. */
export function checkFeeds(manifest: ModelManifest, feeds: Feeds): void {
  const problems: string[] = [];
  const expected = new Map(manifest.inputs.map((i) => [i.name, i]));
  for (const name of Object.keys(feeds)) if (!expected.has(name)) problems.push(`"${name}" is not an input of ${manifest.id}`);
  for (const spec of manifest.inputs) {
    const t = feeds[spec.name];
    if (!t) {
      problems.push(`input "${spec.name}" is missing`);
      continue;
    }
    if (t.type !== spec.dtype) problems.push(`input "${spec.name}" must be ${spec.dtype} (got ${t.type})`);
    const fixed = spec.shape.length === t.dims.length && spec.shape.every((d, i) => typeof d === "string" || d === t.dims[i]);
    if (!fixed) problems.push(`input "${spec.name}" must have shape [${spec.shape.join(", ")}] (got [${t.dims.join(", ")}])`);
    const count = t.dims.reduce((a, b) => a * b, 1);
    if (t.data.length !== count) problems.push(`input "${spec.name}" has ${t.data.length} values for shape [${t.dims.join(", ")}] (${count})`);
  }
  if (problems.length) throw kernelError("KERNEL_VALIDATION", `feeds for model ${manifest.id}: ${problems.join("; ")}`, problems);
  if (manifest.batch) rowsOf(feeds);
}
