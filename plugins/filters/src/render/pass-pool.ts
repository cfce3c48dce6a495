/**
 * Render threads: the pass over the pixels runs in worker threads, rows split between them, so
 * a preview uses every core and an export never blocks the event loop (job leases, HTTP). Buffers
 * are SharedArrayBuffers (see `shared`), so handing rows to a thread copies nothing.
 *
 * `FILTERS_RENDER_THREADS` sets the number of threads (default: the cores, at most 4); 0 runs
 * passes on the calling thread, in chunks that yield to the event loop. A thread that cannot
 * start (or dies) makes the pool fall back to that, once, with a warning.
 */

import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { Pixels } from "./color/lut.js";
import { type PassSpec, runPass } from "./pass.js";

/** A typed array over shared memory with the contents of `src` (render threads read it in place). */
export function shared<T extends Pixels | Float32Array | Int32Array>(src: T): T {
  if (src.buffer instanceof SharedArrayBuffer) return src;
  const Ctor = src.constructor as new (b: SharedArrayBuffer) => T;
  const out = new Ctor(new SharedArrayBuffer(src.byteLength));
  out.set(src as never);
  return out;
}

export function sharedPixels(sixteen: boolean, length: number): Pixels {
  return sixteen ? new Uint16Array(new SharedArrayBuffer(length * 2)) : new Uint8Array(new SharedArrayBuffer(length));
}

interface Job {
  id: number;
  from: number;
  to: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class PassPool {
  private workers: Worker[] = [];
  private idle: Worker[] = [];
  private queue: { spec: PassSpec; job: Job }[] = [];
  private pending = new Map<number, { spec: PassSpec; job: Job; worker: Worker }>();
  private nextId = 1;
  private broken = false;

  constructor(
    readonly threads: number,
    private readonly onWarning: (message: string) => void = (m) => process.emitWarning(m),
  ) {}

  /** Whether passes run on render threads (false: inline). */
  get threaded(): boolean {
    return this.threads > 0 && !this.broken;
  }

  /** Starts the threads now (the first render then does not wait for them). */
  warm(): void {
    this.start();
  }

  private start() {
    if (this.workers.length || !this.threaded) return;
    const here = import.meta.url;
    const source = here.endsWith(".ts");
    const url = new URL(source ? "./pass-worker.ts" : "./pass-worker.js", here);
    try {
      for (let i = 0; i < this.threads; i++) {
        // Source mode (tsx, vitest): the thread registers tsx's loader before importing the .ts file.
        const worker = source
          ? new Worker(`import(${JSON.stringify(tsxApi())}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`, { eval: true })
          : new Worker(url);
        worker.unref();
        worker.on("message", (m: { id: number; error?: string }) => this.done(worker, m));
        worker.on("error", (err) => this.fail(err));
        worker.on("exit", (code) => {
          if (code !== 0 && this.workers.includes(worker)) this.fail(new Error(`render thread exited with code ${code}`));
        });
        this.workers.push(worker);
        this.idle.push(worker);
      }
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private done(worker: Worker, m: { id: number; error?: string }) {
    const p = this.pending.get(m.id);
    this.pending.delete(m.id);
    this.idle.push(worker);
    if (p) {
      if (m.error) p.job.reject(new Error(m.error));
      else p.job.resolve();
    }
    this.pump();
  }

  private fail(err: Error) {
    if (this.broken) return;
    this.broken = true;
    this.onWarning(`filters: render threads unavailable, rendering on the main thread (${err.message})`);
    const stranded = [...this.pending.values(), ...this.queue];
    this.pending.clear();
    this.queue = [];
    for (const w of this.workers) void w.terminate();
    this.workers = [];
    this.idle = [];
    // Rows that were handed out run here instead.
    for (const { spec, job } of stranded) {
      try {
        runPass(spec, job.from, job.to);
        job.resolve();
      } catch (e) {
        job.reject(e as Error);
      }
    }
  }

  private pump() {
    while (this.idle.length && this.queue.length) {
      const worker = this.idle.pop() as Worker;
      const next = this.queue.shift() as { spec: PassSpec; job: Job };
      this.pending.set(next.job.id, { ...next, worker });
      worker.postMessage({ id: next.job.id, spec: next.spec, from: next.job.from, to: next.job.to });
    }
  }

  /**
   * Runs a pass over all rows, in chunks of about `chunkPixels` (and at least one per thread),
   * calling `onChunk` with the fraction done after each.
   */
  async run(spec: PassSpec, options: { chunkPixels: number; signal?: AbortSignal; onChunk?: (fraction: number) => void | Promise<void> }): Promise<void> {
    const W = spec.width;
    const H = spec.height;
    let rows = Math.max(1, Math.floor(options.chunkPixels / W));
    if (this.threaded) rows = Math.min(rows, Math.ceil(H / this.threads));
    const chunks: [number, number][] = [];
    for (let y = 0; y < H; y += rows) chunks.push([y, Math.min(H, y + rows)]);
    this.start();
    if (!this.threaded) {
      for (let i = 0; i < chunks.length; i++) {
        options.signal?.throwIfAborted();
        const [a, b] = chunks[i] as [number, number];
        runPass(spec, a, b);
        if (chunks.length > 1) {
          await options.onChunk?.((i + 1) / chunks.length);
          await new Promise((r) => setImmediate(r));
        }
      }
      return;
    }
    let finished = 0;
    await Promise.all(
      chunks.map(
        ([from, to]) =>
          new Promise<void>((resolve, reject) => {
            const job: Job = {
              id: this.nextId++,
              from,
              to,
              resolve: () => {
                finished++;
                Promise.resolve(chunks.length > 1 ? options.onChunk?.(finished / chunks.length) : undefined).then(() => resolve(), reject);
              },
              reject,
            };
            if (this.broken) {
              runPass(spec, from, to);
              job.resolve();
              return;
            }
            this.queue.push({ spec, job });
            this.pump();
          }),
      ),
    );
    options.signal?.throwIfAborted();
  }

  async close() {
    const ws = this.workers;
    this.workers = [];
    this.idle = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }
}

/** Where tsx's ESM API is, for threads in source mode (vitest, tsx); a bare specifier resolves from the working directory. */
function tsxApi(): string {
  try {
    const resolve = (import.meta as { resolve?: (s: string) => string }).resolve;
    if (resolve) return resolve("tsx/esm/api");
  } catch {
    // vite-node has no import.meta.resolve: fall through
  }
  try {
    const pkg = createRequire(import.meta.url).resolve("tsx/package.json");
    return pathToFileURL(pkg.replace(/package\.json$/, "dist/esm/api/index.mjs")).href;
  } catch {
    return "tsx/esm/api";
  }
}

let pool: PassPool | null = null;

/** The process's render threads (made on first use; threads do not keep the process alive). */
export function renderPool(): PassPool {
  if (!pool) {
    const env = process.env.FILTERS_RENDER_THREADS;
    const threads = env !== undefined && env !== "" ? Math.max(0, Math.min(16, Math.floor(Number(env)) || 0)) : Math.min(4, availableParallelism());
    pool = new PassPool(threads);
  }
  return pool;
}
