/** A tensor as the SDK passes it: ONNX Runtime's `Tensor` fits, and so does a plain object. */
export interface TensorData {
  readonly type: string;
  readonly data: TypedArray;
  readonly dims: readonly number[];
}

export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

export type Feeds = Record<string, TensorData>;

/** Requests with the same key can share a batch: the same inputs, types and dimensions after the first. */
export function batchKey(feeds: Feeds): string {
  return Object.keys(feeds)
    .sort()
    .map((name) => {
      const t = feeds[name] as TensorData;
      return `${name}:${t.type}:${t.dims.slice(1).join("x")}`;
    })
    .join("|");
}

/** How many rows (dimension 0) a request carries; every input must agree. */
export function rowsOf(feeds: Feeds): number {
  const counts = new Set(Object.values(feeds).map((t) => t.dims[0] ?? 1));
  if (counts.size !== 1) throw new RangeError(`inputs disagree on dimension 0: ${[...counts].join(", ")}`);
  return [...counts][0] as number;
}

/** Concatenates the requests' inputs along dimension 0. */
export function concatFeeds(requests: Feeds[]): { feeds: Feeds; rows: number[] } {
  const rows = requests.map(rowsOf);
  const first = requests[0];
  if (!first) throw new RangeError("no requests to batch");
  const feeds: Record<string, TensorData> = {};
  for (const name of Object.keys(first)) {
    const parts = requests.map((r) => {
      const t = r[name];
      if (!t) throw new RangeError(`a request in the batch lacks input "${name}"`);
      return t;
    });
    const head = parts[0] as TensorData;
    const total = parts.reduce((n, t) => n + t.data.length, 0);
    const data = new (head.data.constructor as new (n: number) => TypedArray)(total);
    let offset = 0;
    for (const t of parts) {
      (data as { set(src: ArrayLike<number | bigint>, offset: number): void }).set(t.data as ArrayLike<number | bigint>, offset);
      offset += t.data.length;
    }
    feeds[name] = { type: head.type, data, dims: [rows.reduce((a, b) => a + b, 0), ...head.dims.slice(1)] };
  }
  return { feeds, rows };
}

/** Splits batched outputs back along dimension 0, `rows[i]` rows for request i. */
export function splitOutputs(outputs: Feeds, rows: number[]): Feeds[] {
  const total = rows.reduce((a, b) => a + b, 0);
  const results: Record<string, TensorData>[] = rows.map(() => ({}));
  for (const [name, t] of Object.entries(outputs)) {
    if (t.dims[0] !== total) throw new RangeError(`output "${name}" has ${t.dims[0]} rows for a batch of ${total}`);
    const rowSize = total === 0 ? 0 : t.data.length / total;
    let start = 0;
    rows.forEach((n, i) => {
      const data = t.data.slice(start * rowSize, (start + n) * rowSize) as TypedArray;
      (results[i] as Record<string, TensorData>)[name] = { type: t.type, data, dims: [n, ...t.dims.slice(1)] };
      start += n;
    });
  }
  return results;
}
