export interface MicroBatcherOptions<I, O> {
  /** How long the first request of a batch waits for others, in ms. */
  windowMs: number;
  /** A batch runs as soon as it holds this many requests. */
  maxBatch: number;
  /** Runs one batch; must give back one result per item, in order. */
  run: (items: I[]) => Promise<O[]>;
  /** Requests with different keys never share a batch (for example: different input shapes). */
  key?: (item: I) => string;
}

interface Pending<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (err: unknown) => void;
}

interface Group<I, O> {
  items: Pending<I, O>[];
  timer: NodeJS.Timeout | null;
}

/**
 * Collects requests for one model that arrive within a short window (up to `maxBatch`), runs them
 * as one call and hands each caller its own result. A failed batch fails each of its requests.
 */
export class MicroBatcher<I, O> {
  private readonly groups = new Map<string, Group<I, O>>();
  /** Sizes of the batches run so far (tests, metrics). */
  readonly batchSizes: number[] = [];

  constructor(private readonly options: MicroBatcherOptions<I, O>) {
    if (!(options.maxBatch >= 1)) throw new RangeError("maxBatch must be at least 1");
  }

  submit(item: I): Promise<O> {
    const key = this.options.key?.(item) ?? "";
    return new Promise<O>((resolve, reject) => {
      let group = this.groups.get(key);
      if (!group) {
        group = { items: [], timer: null };
        this.groups.set(key, group);
        const g = group;
        g.timer = setTimeout(() => this.flush(key, g), this.options.windowMs);
      }
      group.items.push({ item, resolve, reject });
      if (group.items.length >= this.options.maxBatch) this.flush(key, group);
    });
  }

  /** Runs every collected batch now. */
  flushAll(): void {
    for (const [key, group] of [...this.groups]) this.flush(key, group);
  }

  private flush(key: string, group: Group<I, O>): void {
    if (this.groups.get(key) !== group) return;
    this.groups.delete(key);
    if (group.timer) clearTimeout(group.timer);
    const batch = group.items;
    this.batchSizes.push(batch.length);
    new Promise<O[]>((resolve) => resolve(this.options.run(batch.map((p) => p.item)))).then(
      (results) => {
        if (results.length !== batch.length) {
          const err = new Error(`a batch of ${batch.length} gave ${results.length} results`);
          for (const p of batch) p.reject(err);
          return;
        }
        for (const [i, p] of batch.entries()) p.resolve(results[i] as O);
      },
      (err) => {
        for (const p of batch) p.reject(err);
      },
    );
  }
}
