import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestKernel, type TestKernel } from "../../src/testing/index.js";
import { installModel, installTamperedModel, uninstallModel } from "../../src/testing/models.js";
import { fixture } from "../fixtures.js";

describe("ctx.models in a test kernel", () => {
  let t: TestKernel;
  beforeAll(async () => {
    t = await createTestKernel({ plugins: [fixture("models")] });
  });
  afterAll(() => t?.close());

  test("a plugin sees the registry's models", async () => {
    expect(t.kernel.plugins().find((p) => p.id === "fixture-models")?.state).toBe("started");
    const res = await t.inject({ method: "GET", url: "/api/p/fixture-models/v1/models" });
    expect(res.statusCode).toBe(200);
    expect(res.json().models).toEqual(expect.arrayContaining([{ id: "blazeface-front", license: "Apache-2.0" }]));
  });

  test("running a model that was never fetched answers 409 KERNEL_MODEL_NOT_INSTALLED with the fetch command; nothing is downloaded", async () => {
    const res = await t.inject({ method: "POST", url: "/api/p/fixture-models/v1/models/blazeface-front/run" });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe("KERNEL_MODEL_NOT_INSTALLED");
    expect(res.json().error.message).toContain("crealia models fetch blazeface-front");
  });

  test("an unknown model is 404 KERNEL_MODEL_NOT_FOUND", async () => {
    const res = await t.inject({ method: "POST", url: "/api/p/fixture-models/v1/models/nope/run" });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe("KERNEL_MODEL_NOT_FOUND");
  });

  test("ctx.models.require refuses a model never fetched with 409 and the command to run, before any work", async () => {
    uninstallModel(t, "blazeface-front");
    const res = await t.inject({ method: "POST", url: "/api/p/fixture-models/v1/models/blazeface-front/require" });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({
      code: "KERNEL_MODEL_NOT_INSTALLED",
      details: { modelId: "blazeface-front", fetch: "crealia models fetch blazeface-front" },
    });
  });

  test("a damaged model file passes require but fails where it loads, worded by the kernel: model X failed verification", async () => {
    await installTamperedModel(t, "blazeface-front");
    expect((await t.inject({ method: "POST", url: "/api/p/fixture-models/v1/models/blazeface-front/require" })).statusCode).toBe(200);
    const res = await t.inject({ method: "POST", url: "/api/p/fixture-models/v1/models/blazeface-front/run" });
    expect(res.statusCode).toBe(500);
    expect(res.json().error.code).toBe("KERNEL_MODEL_CHECKSUM");
    expect(res.json().error.message).toMatch(/^model "blazeface-front" failed verification: /);

    uninstallModel(t, "blazeface-front");
    await installModel(t, "blazeface-front");
    const fixed = await t.inject({ method: "POST", url: "/api/p/fixture-models/v1/models/blazeface-front/run" });
    expect(fixed.statusCode).toBe(200);
  });
});
