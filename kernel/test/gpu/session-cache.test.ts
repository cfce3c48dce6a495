import { describe, expect, test } from "vitest";
import { InferenceSessionCache } from "../../src/gpu/session-cache.js";

class FakeSession {
  released = false;
  constructor(readonly key: string) {}
  async release() {
    if (this.released) throw new Error(`${this.key} released twice`);
    this.released = true;
  }
}

function cache(budgetMb: number) {
  const created: FakeSession[] = [];
  const c = new InferenceSessionCache<FakeSession>({
    budgetMb,
    create: async (modelId, deviceId) => {
      await new Promise((r) => setTimeout(r, 2));
      const s = new FakeSession(`${modelId}@${deviceId}`);
      created.push(s);
      return s;
    },
  });
  return { c, created };
}

const use = async (c: InferenceSessionCache<FakeSession>, model: string, device: string, mb: number) => (await c.acquire(model, device, mb)).done();

describe("InferenceSessionCache", () => {
  test("keeps sessions warm per model and device, evicting the least recently used past the budget", async () => {
    const { c, created } = cache(1000);
    await use(c, "a", "cuda:0", 400);
    await use(c, "b", "cuda:0", 400);
    await use(c, "a", "cuda:0", 400); // hit: a becomes most recent
    expect(created).toHaveLength(2);
    await use(c, "c", "cuda:0", 400); // 1200 > 1000: b (least recent) goes
    expect(c.keys()).toEqual(["a@cuda:0", "c@cuda:0"]);
    expect(created.find((s) => s.key === "b@cuda:0")?.released).toBe(true);
    expect(c.usedMb("cuda:0")).toBe(800);
    // Another device has its own budget and its own sessions.
    await use(c, "a", "cpu", 900);
    expect(c.keys()).toContain("a@cpu");
    expect(c.usedMb("cuda:0")).toBe(800);
  });

  test("never releases a session in use; trims once it is done", async () => {
    const { c, created } = cache(1000);
    const a = await c.acquire("a", "cuda:0", 600);
    await use(c, "b", "cuda:0", 600); // over budget, but a is in use: b (idle, least recent of the idle) goes
    expect(created.find((s) => s.key === "a@cuda:0")?.released).toBe(false);
    expect(created.find((s) => s.key === "b@cuda:0")?.released).toBe(true);
    const a2 = await c.acquire("a", "cuda:0", 600);
    expect(a2.session).toBe(a.session);
    const d = await c.acquire("d", "cuda:0", 600); // a in use twice, d in use: 1200 MiB, over budget for now
    expect(c.usedMb("cuda:0")).toBe(1200);
    a.done();
    a2.done(); // a is idle and least recent: evicted now
    expect(created.find((s) => s.key === "a@cuda:0")?.released).toBe(true);
    d.done();
    expect(c.keys()).toEqual(["d@cuda:0"]);
  });

  test("concurrent misses create one session; a model over the whole budget is released after use", async () => {
    const { c, created } = cache(1000);
    const [x, y] = await Promise.all([c.acquire("m", "cpu", 100), c.acquire("m", "cpu", 100)]);
    expect(created).toHaveLength(1);
    expect(x.session).toBe(y.session);
    x.done();
    y.done();
    const big = await c.acquire("huge", "cpu", 5000);
    expect(c.keys()).not.toContain("huge@cpu");
    big.done();
    expect(created.find((s) => s.key === "huge@cpu")?.released).toBe(true);
  });

  test("clear() releases idle sessions now and busy ones when their run ends", async () => {
    const { c, created } = cache(1000);
    await use(c, "a", "cpu", 100);
    const busy = await c.acquire("b", "cpu", 100);
    await c.clear();
    expect(created.map((s) => s.released)).toEqual([true, false]);
    busy.done();
    await new Promise((r) => setTimeout(r, 0));
    expect(created.map((s) => s.released)).toEqual([true, true]);
  });
});
