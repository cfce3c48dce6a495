import path from "node:path";
import { fileURLToPath } from "node:url";
import { createTestKernel, installModel, installTamperedModel, type TestKernel, uninstallModel } from "@crealia/kernel/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { personScene } from "./fixtures.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const pluginDir = path.resolve(here, "..");
// The stand-in for filters builds a named mask in its `filters.export` job, as the real export's render does.
const filtersStub = path.join(here, "fixtures/filters-stub");

// Its own kernel: the selfie graph, once loaded, stays warm in the worker, so the damaged file must be the first one it sees.
describe("face: a damaged selfie segmentation model", { timeout: 120_000 }, () => {
  let t: TestKernel;
  let portraitId: string;
  const exportMask = async (provider: string) => {
    const queued = await t.kernel.jobs.enqueue("filters", "filters.export", { provider, assetId: portraitId, version: 1 }, { tenantId: t.defaultTenant.id });
    return t.waitForJob(queued.id, { timeoutMs: 60_000 });
  };

  beforeAll(async () => {
    t = await createTestKernel({ plugins: [filtersStub, pluginDir] });
    const { image } = await personScene(640, 660, { x: 120, y: 60, size: 400, seed: 0 });
    ({ assetId: portraitId } = await t.upload("portrait.jpg", image, { contentType: "image/jpeg", timeoutMs: 30_000 }));
  });
  afterAll(() => t?.close());

  test('a tampered selfie weight file: the job building a person mask fails with `model "selfie" failed verification`, once, and the worker runs the next job', async () => {
    await installTamperedModel(t, "selfie", { file: "selfie.bin" });
    const failed = await exportMask("face/person");
    expect(failed.status).toBe("failed");
    expect(failed.error?.code).toBe("KERNEL_MODEL_CHECKSUM");
    expect(failed.error?.message).toMatch(
      /^model "selfie" failed verification: model "selfie" 3\.0\.4: .+selfie\.bin has sha256 [0-9a-f]{64} \(212886 B\) but the manifest says 8f57aaa72dc068a50bd37c232d2e073e107912241e459002e1480876676f382a \(212886 B\); refusing to load it; `crealia models fetch selfie --force` fetches it again$/,
    );
    expect(failed.attempts).toBe(1); // not retried: only fetching the file again helps

    uninstallModel(t, "selfie");
    await installModel(t, "selfie");
    const next = await exportMask("face/person");
    expect(next.status, JSON.stringify(next.error)).toBe("succeeded");
    expect(next.result).toMatchObject({ status: "built", width: 640, height: 660 });
    // The subject fills about a third of the frame: the mask's mean is far from empty and from full.
    const mean = (next.result as { mean: number }).mean;
    expect(mean).toBeGreaterThan(40);
    expect(mean).toBeLessThan(160);
  });
});
