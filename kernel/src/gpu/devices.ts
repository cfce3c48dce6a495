import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

/** One place a model can run. `cpu` always exists; GPUs are `cuda:<index>`. */
export interface Device {
  id: string;
  kind: "cpu" | "gpu";
  /** The GPU's index (CUDA device id); null for the CPU. */
  index: number | null;
  /** Memory the scheduler may lease on it, in MiB; null for the CPU (not accounted). */
  memoryMb: number | null;
  /** ONNX Runtime execution providers a session on this device asks for, in order. */
  executionProviders: string[];
}

export const CPU_DEVICE: Device = Object.freeze({ id: "cpu", kind: "cpu", index: null, memoryMb: null, executionProviders: ["cpu"] }) as Device;

export interface ExecutionProviderInfo {
  name: string;
  /** Whether onnxruntime-node can use it here: built in, or its provider library is installed. */
  available: boolean;
}

export interface GpuInfo {
  index: number;
  memoryMb: number;
  source: "config" | "nvidia-smi";
}

/** What a worker reports about itself. */
export interface DeviceReport {
  providers: ExecutionProviderInfo[];
  gpus: GpuInfo[];
  /** Devices models can run on: the CPU, plus each GPU when a GPU execution provider is available. */
  devices: Device[];
  /** Why GPUs that were found are not used, when they are not. */
  warnings: string[];
}

export interface DiscoveryOptions {
  /** `CREALIA_GPUS`: `"<index>:<MiB>,…"` (e.g. `"0:24576,1:24576"`), or `"none"`. Takes precedence over nvidia-smi. */
  gpus?: string | null;
  /** The execution providers; default: onnxruntime-node's `listSupportedBackends()` checked against its installed libraries. */
  providers?: () => Promise<ExecutionProviderInfo[]>;
  /** Runs `nvidia-smi --query-gpu=index,memory.total --format=csv,noheader,nounits`; null when absent. */
  nvidiaSmi?: () => Promise<string | null>;
}

const GPU_PROVIDERS = ["tensorrt", "cuda"];

/** Parses `CREALIA_GPUS`. Throws a readable Error on a malformed value. */
export function parseGpuList(value: string): GpuInfo[] {
  const trimmed = value.trim();
  if (trimmed === "" || trimmed === "none") return [];
  const seen = new Set<number>();
  return trimmed.split(",").map((item) => {
    const match = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(item);
    if (!match) throw new Error(`CREALIA_GPUS must look like "0:24576,1:24576" (index:MiB), or "none" (got "${value}")`);
    const index = Number(match[1]);
    const memoryMb = Number(match[2]);
    if (memoryMb <= 0) throw new Error(`CREALIA_GPUS: GPU ${index} has no memory`);
    if (seen.has(index)) throw new Error(`CREALIA_GPUS lists GPU ${index} twice`);
    seen.add(index);
    return { index, memoryMb, source: "config" as const };
  });
}

/** Parses nvidia-smi's `index, memory.total` CSV (no header, no units). */
export function parseNvidiaSmi(csv: string): GpuInfo[] {
  return csv
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .flatMap((line) => {
      const [index, memory] = line.split(",").map((c) => Number(c.trim()));
      return Number.isInteger(index) && Number.isFinite(memory) && (memory as number) > 0
        ? [{ index: index as number, memoryMb: memory as number, source: "nvidia-smi" as const }]
        : [];
    });
}

/** Finds the CPU, the GPUs and the ONNX Runtime execution providers of this machine. */
export async function discoverDevices(options: DiscoveryOptions = {}): Promise<DeviceReport> {
  const providers = await (options.providers ?? onnxRuntimeProviders)();
  const configured = options.gpus?.trim() ? parseGpuList(options.gpus) : null;
  const gpus = configured ?? parseNvidiaSmi((await (options.nvidiaSmi ?? runNvidiaSmi)()) ?? "");
  const gpuProviders = GPU_PROVIDERS.filter((name) => providers.some((p) => p.name === name && p.available));
  const warnings: string[] = [];
  if (gpus.length > 0 && gpuProviders.length === 0) {
    warnings.push(`${gpus.length} GPU(s) found but onnxruntime-node has no CUDA or TensorRT execution provider installed here: models run on the CPU`);
  }
  const devices: Device[] = [CPU_DEVICE];
  if (gpuProviders.length > 0) {
    // In preference order (TensorRT, then CUDA); the CPU takes the nodes they do not.
    const eps = [...gpuProviders, "cpu"];
    for (const gpu of gpus) devices.push({ id: `cuda:${gpu.index}`, kind: "gpu", index: gpu.index, memoryMb: gpu.memoryMb, executionProviders: eps });
  }
  return { providers, gpus, devices, warnings };
}

/** onnxruntime-node's backends; a non-bundled one is available only when its provider library is installed. */
export async function onnxRuntimeProviders(): Promise<ExecutionProviderInfo[]> {
  let ort: { listSupportedBackends?: () => { name: string; bundled: boolean }[] };
  try {
    ort = (await import("onnxruntime-node")) as typeof ort;
  } catch {
    return [{ name: "cpu", available: false }];
  }
  const backends = ort.listSupportedBackends?.() ?? [{ name: "cpu", bundled: true }];
  const libs = providerLibraries();
  return backends.map((b) => ({ name: b.name, available: b.bundled || libs.has(b.name) }));
}

/** Names of the execution providers whose shared library sits beside onnxruntime-node's binding. */
function providerLibraries(): Set<string> {
  const found = new Set<string>();
  try {
    const root = path.dirname(createRequire(import.meta.url).resolve("onnxruntime-node/package.json"));
    const bin = path.join(root, "bin");
    if (!existsSync(bin)) return found;
    for (const napi of readdirSync(bin)) {
      const dir = path.join(bin, napi, process.platform, process.arch);
      if (!existsSync(dir)) continue;
      for (const file of readdirSync(dir)) {
        const match = /onnxruntime_providers_([a-z]+)\.(so|dll|dylib)/.exec(file);
        if (match && match[1] !== "shared") found.add(match[1] as string);
      }
    }
  } catch {
    // no package.json export or unreadable folder: report no optional providers.
  }
  return found;
}

function runNvidiaSmi(): Promise<string | null> {
  return new Promise((resolve) => {
    execFile("nvidia-smi", ["--query-gpu=index,memory.total", "--format=csv,noheader,nounits"], { timeout: 10_000 }, (err, stdout) =>
      resolve(err ? null : stdout),
    );
  });
}
