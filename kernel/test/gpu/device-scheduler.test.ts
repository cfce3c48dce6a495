import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, test } from "vitest";
import { type DeviceLease, DeviceScheduler, type DeviceUsage } from "../../src/gpu/device-scheduler.js";
import type { Device } from "../../src/gpu/devices.js";

const GiB = 1024;

function gpu(index: number, memoryMb: number): Device {
  return { id: `cuda:${index}`, kind: "gpu", index, memoryMb, executionProviders: ["cuda", "cpu"] };
}

/** Small seeded PRNG (mulberry32) so a failing run can be replayed. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function logger() {
  const lines: { message: string; data: Record<string, unknown> }[] = [];
  return { lines, log: (message: string, data: Record<string, unknown>) => void lines.push({ message, data }) };
}

describe("DeviceScheduler", () => {
  test.each([20240611, 7, 99991])("3 simulated GPUs, 60 concurrent jobs needing 1–12 GiB: never oversubscribed, all finish (seed %i)", async (seed) => {
    const devices = [gpu(0, 8 * GiB), gpu(1, 8 * GiB), gpu(2, 16 * GiB)];
    const capacity = new Map(devices.map((d) => [d.id, d.memoryMb as number]));
    const observed: DeviceUsage[][] = [];
    const scheduler = new DeviceScheduler(devices, { observe: (u) => void observed.push(u) });

    // Our own ledger, independent of the scheduler's accounting: sum of held leases per device over time.
    const held = new Map(devices.map((d) => [d.id, 0]));
    const peaks = new Map(devices.map((d) => [d.id, 0]));
    const violations: string[] = [];
    const timeline: { t: number; device: string; sumMb: number }[] = [];
    const start = performance.now();
    const record = (device: string, delta: number) => {
      const sum = (held.get(device) as number) + delta;
      held.set(device, sum);
      peaks.set(device, Math.max(peaks.get(device) as number, sum));
      timeline.push({ t: performance.now() - start, device, sumMb: sum });
      if (sum > (capacity.get(device) as number)) violations.push(`${device} at ${sum} MiB > ${capacity.get(device)} MiB`);
    };

    const rand = random(seed);
    const jobs = Array.from({ length: 60 }, (_, i) => ({
      i,
      memoryMb: (1 + Math.floor(rand() * 12)) * GiB,
      arriveMs: Math.floor(rand() * 30),
      durationMs: 2 + Math.floor(rand() * 25),
    }));
    const devicesUsed: string[] = [];
    const results = await Promise.all(
      jobs.map(async (job) => {
        await sleep(job.arriveMs);
        const lease = await scheduler.lease(job.memoryMb, { key: `job-${job.i}` });
        expect(lease.fallback).toBeNull();
        expect(lease.device.kind).toBe("gpu");
        record(lease.device.id, job.memoryMb);
        devicesUsed.push(lease.device.id);
        await sleep(job.durationMs);
        record(lease.device.id, -job.memoryMb);
        lease.release();
        return job.i;
      }),
    );

    expect(results.sort((a, b) => a - b)).toEqual(jobs.map((j) => j.i));
    expect(violations).toEqual([]);
    expect(timeline.length).toBe(120);
    for (const snapshot of observed) for (const d of snapshot) expect(d.usedMb).toBeLessThanOrEqual(d.capacityMb);
    // Jobs over 8 GiB can only go to the 16 GiB card; every card did work.
    expect(new Set(devicesUsed)).toEqual(new Set(["cuda:0", "cuda:1", "cuda:2"]));
    expect(scheduler.waiting).toBe(0);
    expect(scheduler.usage().map((u) => u.usedMb)).toEqual([0, 0, 0]);
    // The run overlapped work: some card was more than half full at some point.
    expect(Math.max(...peaks.values())).toBeGreaterThan(8 * GiB);
  });

  test("no GPU on the worker: CPU fallback, logged once per key, visible on the lease", async () => {
    const { lines, log } = logger();
    const scheduler = new DeviceScheduler([], { log });
    const leases = await Promise.all([1, 2, 3].map(() => scheduler.lease(2 * GiB, { key: "face.detect" })));
    for (const lease of leases) {
      expect(lease.device.id).toBe("cpu");
      expect(lease.fallback).toBe("no GPU device on this worker");
    }
    await scheduler.lease(GiB, { key: "cutout.mask" });
    expect(lines.map((l) => l.message)).toEqual([
      "running face.detect on the CPU: no GPU device on this worker",
      "running cutout.mask on the CPU: no GPU device on this worker",
    ]);
  });

  test("a request larger than every GPU runs on the CPU at once, logged once", async () => {
    const { lines, log } = logger();
    const scheduler = new DeviceScheduler([gpu(0, 8 * GiB), gpu(1, 16 * GiB)], { log });
    const a = await scheduler.lease(20 * GiB, { key: "upscale.x4" });
    const b = await scheduler.lease(20 * GiB, { key: "upscale.x4" });
    expect(a.device.id).toBe("cpu");
    expect(a.fallback).toMatch(/needs 20480 MiB, more than the largest GPU \(cuda:1, 16384 MiB\)/);
    expect(b.fallback).toBe(a.fallback);
    expect(lines).toHaveLength(1);
    expect(scheduler.usage().every((u) => u.usedMb === 0)).toBe(true);
  });

  test("0 MiB means no GPU needed: the CPU, without a fallback note", async () => {
    const { lines, log } = logger();
    const lease = await new DeviceScheduler([gpu(0, 8 * GiB)], { log }).lease(0);
    expect(lease.device.id).toBe("cpu");
    expect(lease.fallback).toBeNull();
    expect(lines).toEqual([]);
  });

  test("an AbortSignal takes a queued request out of the queue", async () => {
    const scheduler = new DeviceScheduler([gpu(0, 8 * GiB)]);
    const holder = await scheduler.lease(6 * GiB);
    const controller = new AbortController();
    const queued = scheduler.lease(4 * GiB, { signal: controller.signal });
    const next = scheduler.lease(2 * GiB);
    // The 4 GiB request holds the device, so the younger 2 GiB one waits behind it although it would fit.
    expect(scheduler.waiting).toBe(2);
    controller.abort(new Error("job cancelled"));
    await expect(queued).rejects.toThrow("job cancelled");
    // Its reservation went with it: the 2 GiB request gets the device beside the 6 GiB lease.
    expect((await next).device.id).toBe("cuda:0");
    expect(scheduler.waiting).toBe(0);
    expect(scheduler.usage()[0]).toMatchObject({ usedMb: 8 * GiB, reservedFor: null });
    (await next).release();
    holder.release();
    expect(scheduler.usage()[0]?.usedMb).toBe(0);
    // An already aborted signal is refused before queueing.
    await expect(scheduler.lease(GiB, { signal: AbortSignal.abort(new Error("gone")) })).rejects.toThrow("gone");
  });

  test("a big request is not starved by later small ones (its device is reserved), and release is idempotent", async () => {
    const scheduler = new DeviceScheduler([gpu(0, 8 * GiB)]);
    const smalls = await Promise.all([1, 2, 3, 4].map(() => scheduler.lease(2 * GiB)));
    let bigLease: DeviceLease | null = null;
    const big = scheduler.lease(8 * GiB).then((l) => (bigLease = l));
    let lateLease: DeviceLease | null = null;
    const late = scheduler.lease(2 * GiB).then((l) => (lateLease = l));
    smalls[0]?.release();
    smalls[0]?.release();
    await sleep(5);
    // 2 GiB are free, but the device is held for the older 8 GiB request.
    expect(lateLease).toBeNull();
    expect(scheduler.usage()[0]).toMatchObject({ usedMb: 6 * GiB, reservedFor: 5 });
    for (const s of smalls.slice(1)) s.release();
    await big;
    expect(bigLease).not.toBeNull();
    expect(lateLease).toBeNull();
    (bigLease as unknown as DeviceLease).release();
    await late;
    expect(lateLease).not.toBeNull();
  });

  test("small requests backfill other devices while a big one waits for its reserved device", async () => {
    const scheduler = new DeviceScheduler([gpu(0, 8 * GiB), gpu(1, 8 * GiB)]);
    const a = await scheduler.lease(6 * GiB); // best fit: cuda:0
    const b = await scheduler.lease(2 * GiB); // best fit: beside it on cuda:0
    const c = await scheduler.lease(2 * GiB); // cuda:1
    expect([a.device.id, b.device.id, c.device.id]).toEqual(["cuda:0", "cuda:0", "cuda:1"]);
    const big = scheduler.lease(8 * GiB);
    expect(scheduler.usage().find((u) => u.reservedFor !== null)?.id).toBe("cuda:1");
    // cuda:1 is held for the big request, cuda:0 is full: a small one waits, then takes cuda:0 when it frees.
    const small = scheduler.lease(2 * GiB);
    b.release();
    expect((await small).device.id).toBe("cuda:0");
    c.release();
    expect((await big).device.id).toBe("cuda:1");
    a.release();
  });
});
