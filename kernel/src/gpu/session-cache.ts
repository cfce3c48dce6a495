/** What the cache needs of a session: a way to free it. ONNX Runtime's `InferenceSession` fits. */
export interface ReleasableSession {
  release(): Promise<void>;
}

export interface SessionCacheOptions<S extends ReleasableSession> {
  /** Memory budget for warm sessions on one device, in MiB (each device has its own). */
  budgetMb: number | ((deviceId: string) => number);
  /** Creates the session of a model on a device. */
  create: (modelId: string, deviceId: string) => Promise<S>;
  /** Called when releasing an evicted session fails. */
  onError?: (err: unknown, key: string) => void;
}

/** A session taken from the cache. Call `done()` when the run is over; the session stays warm. */
export interface SessionHandle<S> {
  readonly session: S;
  readonly key: string;
  done(): void;
}

interface Entry<S> {
  key: string;
  deviceId: string;
  sizeMb: number;
  session: S;
  /** Runs using the session now; an entry in use is never released. */
  refs: number;
  /** Out of the cache, released when the last run using it ends. */
  evicted: boolean;
}

/**
 * Warm inference sessions, keyed `<modelId>@<deviceId>`, least recently used first out. Each
 * entry counts the memory its model declares; when a device's entries exceed its budget, the least
 * recently used ones not in use are evicted and released (`session.release()`). Sessions in use are
 * never released under a run: if only they are left, the device may stay over budget until they
 * are done, and the surplus is evicted then. A model bigger than the whole budget is not kept warm:
 * its session is released after the run.
 */
export class InferenceSessionCache<S extends ReleasableSession> {
  /** Insertion order is recency order: a hit moves the entry to the end. */
  private readonly entries = new Map<string, Entry<S>>();
  private readonly creating = new Map<string, Promise<Entry<S>>>();

  constructor(private readonly options: SessionCacheOptions<S>) {}

  static key(modelId: string, deviceId: string): string {
    return `${modelId}@${deviceId}`;
  }

  budgetOf(deviceId: string): number {
    const b = this.options.budgetMb;
    return typeof b === "function" ? b(deviceId) : b;
  }

  /** Memory the warm sessions of a device account for, in MiB. */
  usedMb(deviceId: string): number {
    let sum = 0;
    for (const e of this.entries.values()) if (e.deviceId === deviceId) sum += e.sizeMb;
    return sum;
  }

  /** Keys of the warm sessions, least recently used first. */
  keys(): string[] {
    return [...this.entries.keys()];
  }

  /** The warm session of a model on a device, created on a miss. `sizeMb` is the model's declared memory. */
  async acquire(modelId: string, deviceId: string, sizeMb: number): Promise<SessionHandle<S>> {
    const key = InferenceSessionCache.key(modelId, deviceId);
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    } else {
      let pending = this.creating.get(key);
      if (!pending) {
        pending = this.options.create(modelId, deviceId).then((session) => ({ key, deviceId, sizeMb, session, refs: 0, evicted: false }));
        this.creating.set(key, pending);
        pending.then(
          (created) => {
            this.creating.delete(key);
            if (sizeMb > this.budgetOf(deviceId)) created.evicted = true;
            else this.entries.set(key, created);
          },
          () => this.creating.delete(key),
        );
      }
      entry = await pending;
    }
    entry.refs += 1;
    this.trim(deviceId);
    const held = entry;
    let done = false;
    return {
      session: held.session,
      key,
      done: () => {
        if (done) return;
        done = true;
        held.refs -= 1;
        if (held.evicted) this.releaseIfIdle(held);
        else this.trim(held.deviceId);
      },
    };
  }

  /** Releases every session not in use now and the others when their runs end. */
  async clear(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(
      all.map((e) => {
        e.evicted = true;
        return this.releaseIfIdle(e);
      }),
    );
  }

  private trim(deviceId: string): void {
    const budget = this.budgetOf(deviceId);
    let used = this.usedMb(deviceId);
    for (const entry of [...this.entries.values()]) {
      if (used <= budget) break;
      if (entry.deviceId !== deviceId || entry.refs > 0) continue;
      this.entries.delete(entry.key);
      entry.evicted = true;
      used -= entry.sizeMb;
      void this.releaseIfIdle(entry);
    }
  }

  private async releaseIfIdle(entry: Entry<S>): Promise<void> {
    if (entry.refs > 0) return;
    entry.refs = -1; // released: never again
    try {
      await entry.session.release();
    } catch (err) {
      this.options.onError?.(err, entry.key);
    }
  }
}
