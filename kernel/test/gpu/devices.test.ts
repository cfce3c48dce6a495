import { describe, expect, test } from "vitest";
import { discoverDevices, onnxRuntimeProviders, parseGpuList, parseNvidiaSmi } from "../../src/gpu/devices.js";

const withCuda = async () => [
  { name: "cpu", available: true },
  { name: "cuda", available: true },
];
const cpuOnly = async () => [
  { name: "cpu", available: true },
  { name: "cuda", available: false },
];

describe("device discovery", () => {
  test("CREALIA_GPUS lists GPUs by index and MiB", () => {
    expect(parseGpuList("0:24576, 1:24576")).toEqual([
      { index: 0, memoryMb: 24576, source: "config" },
      { index: 1, memoryMb: 24576, source: "config" },
    ]);
    expect(parseGpuList("none")).toEqual([]);
    expect(() => parseGpuList("0=24GB")).toThrow(/index:MiB/);
    expect(() => parseGpuList("0:1,0:2")).toThrow(/twice/);
  });

  test("nvidia-smi's CSV is read", () => {
    expect(parseNvidiaSmi("0, 81559\n1, 81559\n")).toEqual([
      { index: 0, memoryMb: 81559, source: "nvidia-smi" },
      { index: 1, memoryMb: 81559, source: "nvidia-smi" },
    ]);
    expect(parseNvidiaSmi("")).toEqual([]);
  });

  test("configured GPUs win over nvidia-smi and become devices when a GPU provider is installed", async () => {
    const report = await discoverDevices({ gpus: "0:8192,1:16384", providers: withCuda, nvidiaSmi: async () => "0, 81559" });
    expect(report.devices.map((d) => [d.id, d.memoryMb, d.executionProviders])).toEqual([
      ["cpu", null, ["cpu"]],
      ["cuda:0", 8192, ["cuda", "cpu"]],
      ["cuda:1", 16384, ["cuda", "cpu"]],
    ]);
    expect(report.warnings).toEqual([]);
  });

  test("nvidia-smi is asked when nothing is configured; no nvidia-smi means no GPU", async () => {
    expect((await discoverDevices({ providers: withCuda, nvidiaSmi: async () => "0, 81559\n" })).devices.map((d) => d.id)).toEqual(["cpu", "cuda:0"]);
    const none = await discoverDevices({ providers: withCuda, nvidiaSmi: async () => null });
    expect(none.devices.map((d) => d.id)).toEqual(["cpu"]);
    expect(none.gpus).toEqual([]);
  });

  test("GPUs without a CUDA/TensorRT provider are reported but not used", async () => {
    const report = await discoverDevices({ gpus: "0:24576", providers: cpuOnly });
    expect(report.gpus).toHaveLength(1);
    expect(report.devices.map((d) => d.id)).toEqual(["cpu"]);
    expect(report.warnings[0]).toMatch(/no CUDA or TensorRT execution provider/);
  });

  test("onnxruntime-node's providers on this machine: the CPU is available", async () => {
    const providers = await onnxRuntimeProviders();
    expect(providers.find((p) => p.name === "cpu")?.available).toBe(true);
  });
});
