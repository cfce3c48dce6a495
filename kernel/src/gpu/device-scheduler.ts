import { CPU_DEVICE, type Device } from "./devices.js";

/** A device held for one piece of work. Release it once the work is done (a second release does nothing). */
export interface DeviceLease {
  readonly device: Device;
  /** MiB held on the device; 0 on the CPU, which is not accounted. */
  readonly memoryMb: number;
  /** Why the work runs on the CPU although it asked for GPU memory; null otherwise. */
  readonly fallback: string | null;
  release(): void;
}

export interface LeaseOptions {
  /** Aborting it while the request waits takes the request out of the queue and rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Who asks (a model id or job type): the CPU fallback is logged once per key and reason. */
  key?: string;
  /** Run on the CPU for this reason (for example: the plugin may not use GPUs). */
  cpuOnly?: string;
}

export interface DeviceUsage {
  id: string;
  capacityMb: number;
  usedMb: number;
  leases: number;
  /** Queue number of the waiting request this device is held for, if any. */
  reservedFor: number | null;
}

export interface DeviceSchedulerOptions {
  /** Called once per key and fallback reason when work goes to the CPU instead of a GPU. */
  log?: (message: string, data: Record<string, unknown>) => void;
  /** Called after every grant and release with the GPUs' usage (tests and metrics). */
  observe?: (usage: DeviceUsage[]) => void;
}

interface Gpu {
  device: Device;
  capacity: number;
  used: number;
  leases: number;
  reservedBy: Waiter | null;
}

interface Waiter {
  seq: number;
  memoryMb: number;
  key: string;
  reserved: Gpu | null;
  resolve: (lease: DeviceLease) => void;
  reject: (err: unknown) => void;
  cleanup: () => void;
}

/**
 * Leases GPU memory so that the leases on a device never add up to more than its memory.
 *
 * Policy: requests are served in arrival order (FIFO) with backfilling and one reservation per
 * waiting request. On every change the queue is walked oldest first; a request is placed on the
 * device where it fits most tightly, among the devices that are free of reservations, held for
 * it, or held for a younger request. A request that fits nowhere reserves one device that could
 * hold it (an unreserved one with the most free memory, else one held for a younger request,
 * which loses it). A reserved device takes no new work from younger requests, so it only drains
 * and its request gets it at the latest when the device is empty: a big request is never starved
 * by a stream of small ones, while small requests still fill the other devices. A request larger
 * than every GPU (or any request on a worker without GPUs) never waits: it runs on the CPU, and
 * that is logged once per key.
 */
export class DeviceScheduler {
  private readonly gpus: Gpu[];
  private readonly queue: Waiter[] = [];
  private readonly logged = new Set<string>();
  private seq = 0;

  constructor(
    devices: readonly Device[],
    private readonly options: DeviceSchedulerOptions = {},
  ) {
    this.gpus = devices
      .filter((d) => d.kind === "gpu" && (d.memoryMb ?? 0) > 0)
      .map((device) => ({ device, capacity: device.memoryMb as number, used: 0, leases: 0, reservedBy: null }));
  }

  get devices(): Device[] {
    return [CPU_DEVICE, ...this.gpus.map((g) => g.device)];
  }

  /** Requests waiting for GPU memory. */
  get waiting(): number {
    return this.queue.length;
  }

  usage(): DeviceUsage[] {
    return this.gpus.map((g) => ({ id: g.device.id, capacityMb: g.capacity, usedMb: g.used, leases: g.leases, reservedFor: g.reservedBy?.seq ?? null }));
  }

  /**
   * Leases `memoryMb` MiB on a GPU, waiting in the queue while none has room. 0 MiB means the
   * work never needs a GPU: it gets the CPU at once, without a fallback note.
   */
  lease(memoryMb: number, options: LeaseOptions = {}): Promise<DeviceLease> {
    if (!Number.isFinite(memoryMb) || memoryMb < 0) return Promise.reject(new RangeError(`memoryMb must be a number ≥ 0 (got ${memoryMb})`));
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const key = options.key ?? "work";
    if (memoryMb === 0) return Promise.resolve(this.cpuLease(null));
    if (options.cpuOnly) return Promise.resolve(this.fallback(key, options.cpuOnly, memoryMb));
    if (this.gpus.length === 0) return Promise.resolve(this.fallback(key, "no GPU device on this worker", memoryMb));
    const largest = this.gpus.reduce((a, b) => (b.capacity > a.capacity ? b : a));
    if (memoryMb > largest.capacity) {
      return Promise.resolve(this.fallback(key, `needs ${memoryMb} MiB, more than the largest GPU (${largest.device.id}, ${largest.capacity} MiB)`, memoryMb));
    }

    return new Promise<DeviceLease>((resolve, reject) => {
      const waiter: Waiter = { seq: ++this.seq, memoryMb, key, reserved: null, resolve, reject, cleanup: () => {} };
      if (signal) {
        const onAbort = () => {
          const i = this.queue.indexOf(waiter);
          if (i < 0) return;
          this.queue.splice(i, 1);
          if (waiter.reserved) waiter.reserved.reservedBy = null;
          waiter.reserved = null;
          reject(signal.reason);
          this.pump();
        };
        signal.addEventListener("abort", onAbort, { once: true });
        waiter.cleanup = () => signal.removeEventListener("abort", onAbort);
      }
      this.queue.push(waiter);
      this.pump();
    });
  }

  private pump(): void {
    let granted = false;
    for (const waiter of [...this.queue]) {
      const usable = (g: Gpu) => g.reservedBy === null || g.reservedBy === waiter || g.reservedBy.seq > waiter.seq;
      const fits = this.gpus.filter((g) => usable(g) && g.capacity - g.used >= waiter.memoryMb);
      if (fits.length > 0) {
        const own = waiter.reserved && fits.includes(waiter.reserved) ? waiter.reserved : null;
        const target = own ?? fits.reduce((best, g) => (g.capacity - g.used < best.capacity - best.used ? g : best));
        this.grant(waiter, target);
        granted = true;
        continue;
      }
      if (waiter.reserved) continue;
      const able = this.gpus.filter((g) => g.capacity >= waiter.memoryMb);
      const free = able.filter((g) => g.reservedBy === null);
      const pool = free.length > 0 ? free : able.filter((g) => (g.reservedBy?.seq ?? 0) > waiter.seq);
      if (pool.length === 0) continue;
      const target = pool.reduce((best, g) => (g.capacity - g.used > best.capacity - best.used ? g : best));
      if (target.reservedBy) target.reservedBy.reserved = null;
      target.reservedBy = waiter;
      waiter.reserved = target;
    }
    if (granted) this.options.observe?.(this.usage());
  }

  private grant(waiter: Waiter, gpu: Gpu): void {
    this.queue.splice(this.queue.indexOf(waiter), 1);
    if (waiter.reserved) waiter.reserved.reservedBy = null;
    waiter.reserved = null;
    waiter.cleanup();
    gpu.used += waiter.memoryMb;
    gpu.leases += 1;
    let released = false;
    waiter.resolve({
      device: gpu.device,
      memoryMb: waiter.memoryMb,
      fallback: null,
      release: () => {
        if (released) return;
        released = true;
        gpu.used -= waiter.memoryMb;
        gpu.leases -= 1;
        this.options.observe?.(this.usage());
        this.pump();
      },
    });
  }

  private fallback(key: string, reason: string, memoryMb: number): DeviceLease {
    const once = `${key}\u0000${reason}`;
    if (!this.logged.has(once)) {
      this.logged.add(once);
      this.options.log?.(`running ${key} on the CPU: ${reason}`, { key, memoryMb, reason });
    }
    return this.cpuLease(reason);
  }

  private cpuLease(fallback: string | null): DeviceLease {
    return { device: CPU_DEVICE, memoryMb: 0, fallback, release: () => {} };
  }
}
