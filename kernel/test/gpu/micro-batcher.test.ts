import { describe, expect, test } from "vitest";
import { MicroBatcher } from "../../src/gpu/micro-batcher.js";
import { batchKey, concatFeeds, splitOutputs } from "../../src/gpu/tensor-batch.js";

const values = (t: { data: ArrayLike<number | bigint> } | undefined) => Array.from(t?.data ?? []);

describe("MicroBatcher", () => {
  test("groups concurrent requests within the window, up to maxBatch, and hands back each result", async () => {
    const calls: number[][] = [];
    const batcher = new MicroBatcher<number, number>({
      windowMs: 20,
      maxBatch: 4,
      run: async (items) => {
        calls.push(items);
        return items.map((x) => x * 10);
      },
    });
    const results = await Promise.all([1, 2, 3, 4, 5, 6].map((x) => batcher.submit(x)));
    expect(results).toEqual([10, 20, 30, 40, 50, 60]);
    expect(calls).toEqual([
      [1, 2, 3, 4],
      [5, 6],
    ]);
    // A lone request runs alone once the window has passed.
    expect(await batcher.submit(7)).toBe(70);
    expect(batcher.batchSizes).toEqual([4, 2, 1]);
  });

  test("requests with different keys never share a batch; a failed batch fails each request", async () => {
    const calls: string[][] = [];
    const batcher = new MicroBatcher<string, string>({
      windowMs: 10,
      maxBatch: 8,
      key: (s) => s[0] as string,
      run: async (items) => {
        calls.push(items);
        if (items.includes("b-bad")) throw new Error("model failed");
        return items.map((s) => s.toUpperCase());
      },
    });
    const settled = await Promise.allSettled(["a-1", "b-1", "a-2", "b-bad"].map((s) => batcher.submit(s)));
    expect(calls).toEqual([
      ["a-1", "a-2"],
      ["b-1", "b-bad"],
    ]);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled", "rejected"]);
  });
});

describe("tensor batching", () => {
  const t = (values: number[], dims: number[]) => ({ type: "float32", data: Float32Array.from(values), dims });

  test("concatenates along dimension 0 and splits the outputs back", () => {
    const a = { x: t([1, 2], [1, 2]) };
    const b = { x: t([3, 4, 5, 6], [2, 2]) };
    expect(batchKey(a)).toBe(batchKey(b));
    expect(batchKey(a)).not.toBe(batchKey({ x: t([1, 2, 3], [1, 3]) }));
    const { feeds, rows } = concatFeeds([a, b]);
    expect(rows).toEqual([1, 2]);
    expect(feeds.x?.dims).toEqual([3, 2]);
    expect(values(feeds.x)).toEqual([1, 2, 3, 4, 5, 6]);
    const [ra, rb] = splitOutputs({ y: t([10, 20, 30, 40, 50, 60], [3, 2, 1]) }, rows);
    expect(ra?.y?.dims).toEqual([1, 2, 1]);
    expect(values(ra?.y)).toEqual([10, 20]);
    expect(rb?.y?.dims).toEqual([2, 2, 1]);
    expect(values(rb?.y)).toEqual([30, 40, 50, 60]);
  });
});
