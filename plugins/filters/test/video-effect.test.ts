/**
 * Recipes as video effects: the filters plugin's contribution to the video plugin's `video.effect`
 * point, with real ffmpeg on lavfi-made media. The colour of a rendered frame is checked against
 * the filters renderer developing the same frame as a still.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { createTestKernel, type TestKernel } from "@crealia/kernel/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parseRecipe } from "../src/recipe/recipe.js";
import { sampleCube } from "../src/render/color/cube.js";
import { compileColor, globalColorSpec } from "../src/render/color/program.js";
import { programToCube } from "../src/video/bake-cube.js";
import { flipChain, notForVideo, videoEffect } from "../src/video/effect.js";
import { develop, pluginDir } from "./helpers.js";

const run = promisify(execFile);
const videoDir = path.resolve(pluginDir, "..", "video");
const VIDEO = "/api/p/video/v1";

/** Four flat patches (sky, skin, grey, foliage) side by side: flat, so chroma subsampling leaves them be. */
const PATCHES = ["0x4a7fb5", "0xc89b7c", "0x767676", "0x3f6b35"];
const PATCH_W = 40;

async function patchesVideo(dir: string): Promise<string> {
  const file = path.join(dir, "patches.mp4");
  const boxes = PATCHES.map((c, i) => `drawbox=x=${i * PATCH_W}:y=0:w=${PATCH_W}:h=90:color=${c}:t=fill`).join(",");
  await run("/usr/bin/ffmpeg", [
    ...["-y", "-loglevel", "error", "-f", "lavfi", "-i", `color=c=black:s=160x90:r=25:d=1,${boxes}`],
    ...["-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p", file],
  ]);
  return file;
}

/** Mean RGB of the middle of each patch of a picture file's frame at `t` (decoded by ffmpeg to RGB). */
async function patchMeans(file: string, t: number): Promise<[number, number, number][]> {
  const { stdout } = await run(
    "/usr/bin/ffmpeg",
    ["-loglevel", "error", "-ss", String(t), "-i", file, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
    {
      encoding: "buffer",
      maxBuffer: 1 << 24,
    },
  );
  return meansOf(new Uint8Array(stdout as Buffer), 160);
}

function meansOf(px: Uint8Array, width: number): [number, number, number][] {
  return PATCHES.map((_, i) => {
    const sum = [0, 0, 0];
    let n = 0;
    for (let y = 30; y < 60; y++)
      for (let x = i * PATCH_W + 10; x < (i + 1) * PATCH_W - 10; x++) {
        for (let c = 0; c < 3; c++) sum[c] = (sum[c] as number) + (px[(y * width + x) * 3 + c] as number);
        n++;
      }
    return sum.map((s) => s / n) as [number, number, number];
  });
}

const maxDiff = (a: [number, number, number][], b: [number, number, number][]) =>
  Math.max(...a.flatMap((p, i) => p.map((v, c) => Math.abs(v - (b[i]?.[c] ?? 0)))));

describe("the recipe as a .cube and a filter chain", () => {
  test("the baked grid matches the colour program; flips and refusals are read from the recipe", () => {
    const program = compileColor(globalColorSpec(parseRecipe({ basic: { exposure: 1, temperature: 20 }, presence: { vibrance: 30 } })), "srgb");
    const cube = programToCube(program, 65, "t");
    const want = new Float64Array(3);
    const got = new Float64Array(3);
    let worst = 0;
    for (const [r, g, b] of [
      [0.2, 0.4, 0.6],
      [0.7, 0.55, 0.45],
      [0.05, 0.05, 0.05],
      [0.9, 0.2, 0.1],
    ] as const) {
      want.set(program.shaper.map((f, c) => f([r, g, b][c] as number)));
      program.mix?.(want);
      sampleCube(cube, r, g, b, got);
      for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(Math.min(1, Math.max(0, want[c] as number)) - (got[c] as number)));
    }
    expect(worst * 255).toBeLessThan(1);

    expect(flipChain(parseRecipe({ geometry: { flipHorizontal: true } }))).toEqual(["hflip"]);
    expect(flipChain(parseRecipe({ geometry: { rotate: 180 } }))).toEqual(["hflip", "vflip"]);
    expect(flipChain(parseRecipe({ geometry: { rotate: 180, flipVertical: true } }))).toEqual(["hflip"]);
    expect(notForVideo(parseRecipe({ basic: { exposure: 1 }, geometry: { flipVertical: true } }))).toEqual([]);
    expect(
      notForVideo(
        parseRecipe({
          presence: { clarity: 10 },
          effects: { vignette: { amount: -20 } },
          geometry: { rotate: 90 },
          local: [{ mask: { type: "radial", cx: 0.5, cy: 0.5, rx: 0.2, ry: 0.2 }, adjustments: { exposure: 1 } }],
        }),
      ),
    ).toEqual(["clarity", "vignette", "local adjustments (masks)", "rotate 90°"]);
  });

  test("params are checked: one of preset or recipe, nothing else", async () => {
    const fx = videoEffect({ presets: null as never, luts: null as never });
    const env = { tenantId: "t", width: 160, height: 90, fps: 25, preview: false, writeFile: async (n: string) => `/w/${n}` };
    await expect(fx.compile({}, env)).rejects.toMatchObject({ code: "FILTERS_INVALID_OPTIONS", status: 400 });
    await expect(fx.compile({ preset: "builtin:vivid", recipe: {} }, env)).rejects.toMatchObject({ code: "FILTERS_INVALID_OPTIONS" });
    await expect(fx.compile({ recipe: {}, strength: 2 }, env)).rejects.toThrow(/unknown param strength/);
    await expect(fx.compile({ recipe: { basic: { exposure: 9 } } }, env)).rejects.toMatchObject({ code: "FILTERS_INVALID_RECIPE" });
    // A neutral recipe is no work at all; flips alone need no table.
    expect(await fx.compile({ recipe: {} }, env)).toEqual([]);
    expect(await fx.compile({ recipe: { geometry: { flipHorizontal: true } } }, env)).toEqual(["hflip"]);
    expect(await fx.compile({ recipe: { basic: { exposure: 1 } } }, env)).toEqual(["lut3d=file='/w/recipe.cube':interp=tetrahedral"]);
  });
});

test("without the video plugin, filters starts and its contribution is simply left out", async () => {
  const alone = await createTestKernel({ plugins: [pluginDir] });
  try {
    expect(alone.kernel.runtime.list().map((s) => [s.id, s.state])).toEqual([["filters", "started"]]);
    expect((await alone.inject({ method: "GET", url: "/api/p/filters/v1/presets" })).statusCode).toBe(200);
  } finally {
    await alone.close();
  }
});

describe("with the video plugin", () => {
  let t: TestKernel;
  let dir: string;
  let source: string;
  let assetId: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "filters-video-"));
    source = await patchesVideo(dir);
    t = await createTestKernel({ plugins: [pluginDir, videoDir] });
    ({ assetId } = await t.upload("patches.mp4", readFileSync(source), { timeoutMs: 20_000 }));
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A 160×90 project with the patches clip carrying `effects`. */
  async function project(effects: unknown[]): Promise<string> {
    const p = await t.inject({ method: "POST", url: `${VIDEO}/projects`, payload: { name: "Graded", aspect: "16:9", shortSide: 90, fps: 25 } });
    const id = p.json().id as string;
    const main = p.json().doc.tracks[0].id as string;
    const res = await t.inject({
      method: "POST",
      url: `${VIDEO}/projects/${id}/commands`,
      payload: { command: { type: "addClip", trackId: main, assetId, in: 0, out: 1, effects } },
    });
    expect(res.statusCode, res.body).toBe(200);
    return id;
  }

  const plan = (id: string) => t.inject({ method: "GET", url: `${VIDEO}/projects/${id}/render-plan` });

  test("the video plugin offers the effect; the render plan shows the lut3d step; bad recipes and presets are clear 4xx", async () => {
    const caps = await t.inject({ method: "GET", url: `${VIDEO}/capabilities` });
    expect(caps.json().effects).toContain("filters:recipe");

    const cool = await plan(await project([{ name: "filters:recipe", params: { preset: "builtin:cool-morning" } }]));
    expect(cool.statusCode, cool.body).toBe(200);
    expect(cool.json().graph).toMatch(/lut3d=file='[^']*\/fx-0-cool-morning\.cube':interp=tetrahedral/);
    // The plan names the table where the job will write it, and writes nothing.
    expect(readdirSync(os.tmpdir()).filter((f) => f.startsWith(`crealia-video-plan-`))).toEqual([]);

    const flipped = await plan(
      await project([{ name: "filters:recipe", params: { recipe: { basic: { exposure: 0.5 }, geometry: { flipHorizontal: true } } } }]),
    );
    expect(flipped.json().graph).toMatch(/hflip,lut3d=file=/);

    const cases: [Record<string, unknown>, number, string, RegExp][] = [
      [{ preset: "builtin:nope" }, 404, "FILTERS_PRESET_NOT_FOUND", /no preset builtin:nope/],
      [{ preset: "5d0c1d8e-8f0e-4d4e-9e55-2f5c3c2b1a00" }, 404, "FILTERS_PRESET_NOT_FOUND", /no preset/],
      [{ recipe: { basic: { exposure: "lots" } } }, 400, "FILTERS_INVALID_RECIPE", /exposure/],
      [{ preset: "builtin:warm-glow" }, 422, "FILTERS_NOT_FOR_VIDEO", /builtin:warm-glow uses vignette, which cannot apply to video/],
      [
        { recipe: { detail: { sharpening: { amount: 40 } }, geometry: { crop: { aspect: "free", x: 0, y: 0, width: 0.5, height: 0.5 } } } },
        422,
        "FILTERS_NOT_FOR_VIDEO",
        /sharpening, crop/,
      ],
    ];
    for (const [params, status, code, message] of cases) {
      const id = await project([{ name: "filters:recipe", params }]);
      for (const res of [await plan(id), await t.inject({ method: "POST", url: `${VIDEO}/projects/${id}/render`, payload: {} })]) {
        expect([res.statusCode, res.json().error?.code], JSON.stringify(params)).toEqual([status, code]);
        expect(res.json().error.message).toMatch(message);
      }
    }
    // Asked to, the colour of that preset renders without the vignette.
    const warm = await plan(await project([{ name: "filters:recipe", params: { preset: "builtin:warm-glow", ignoreUnsupported: true } }]));
    expect(warm.json().graph).toContain("fx-0-warm-glow.cube");
  });

  test("a clip with exposure +1 renders the colour the filters renderer gives the same frame as a still, and leaves no work files", async () => {
    const recipe = { basic: { exposure: 1 } };
    const id = await project([{ name: "filters:recipe", params: { recipe } }]);
    const res = await t.inject({ method: "POST", url: `${VIDEO}/projects/${id}/render`, payload: { quality: "high" } });
    expect(res.statusCode, res.body).toBe(202);
    const jobId = res.json().jobId as string;
    const job = await t.waitForJob(jobId, { timeoutMs: 60_000 });
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    expect(job.result).toMatchObject({ command: expect.stringContaining("lut3d=file=") });
    expect(readdirSync(os.tmpdir()).filter((f) => f.startsWith(`crealia-video-${jobId}-`))).toEqual([]);

    const file = await t.inject({ method: "GET", url: `/api/assets/${(job.result as { assetId: string }).assetId}/files/original` });
    expect(file.statusCode).toBe(200);
    const rendered = path.join(dir, "rendered.mp4");
    writeFileSync(rendered, file.rawPayload);

    // The same frame as a still, developed by the filters renderer.
    const still = path.join(dir, "still.png");
    await run("/usr/bin/ffmpeg", ["-y", "-loglevel", "error", "-i", source, "-frames:v", "1", "-pix_fmt", "rgb24", still]);
    const developed = await develop(readFileSync(still), recipe);
    const want = meansOf(developed.data, developed.width);
    const before = await patchMeans(source, 0.5);
    const got = await patchMeans(rendered, 0.5);
    // The recipe moves every patch a lot; the video lands within a few levels of the still.
    expect(maxDiff(before, want)).toBeGreaterThan(40);
    expect(maxDiff(got, want)).toBeLessThanOrEqual(4);
  }, 90_000);

  test("a tenant without filters enabled is not offered the effect, and a clip that names it is refused with a clear 422", async () => {
    const id = await project([{ name: "filters:recipe", params: { recipe: { basic: { exposure: 1 } } } }]);
    await t.kernel.tenants.setEnabled(t.defaultTenant.id, "filters", false);
    try {
      expect((await t.inject({ method: "GET", url: `${VIDEO}/capabilities` })).json().effects).not.toContain("filters:recipe");
      const res = await plan(id);
      expect([res.statusCode, res.json().error.code]).toEqual([422, "VIDEO_EFFECT_UNAVAILABLE"]);
      expect(res.json().error.message).toMatch(/effect filters:recipe is not available: its plugin \(filters\) is not installed or not enabled/);
    } finally {
      await t.kernel.tenants.setEnabled(t.defaultTenant.id, "filters", true);
    }
  });
});
