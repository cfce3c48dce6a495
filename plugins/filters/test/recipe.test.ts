import { isCrealiaError } from "@crealia/kernel/sdk";
import { describe, expect, test } from "vitest";
import { parseExportOptions } from "../src/export/options.js";
import { BUILTIN_PRESETS } from "../src/presets/builtin.js";
import { applyPatch, compactRecipe, isNeutral, parsePatch, parseRecipe, pickGroups } from "../src/recipe/recipe.js";
import { BASIC_PARAMS, neutralRecipe, RECIPE_SCHEMA, RECIPE_VERSION, recipeJsonSchema } from "../src/recipe/schema.js";
import { parseCube } from "../src/render/color/cube.js";

function problems(input: unknown): { code: string; status: number; message: string; details: { path: string; message: string }[] } {
  try {
    parseRecipe(input);
  } catch (err) {
    if (isCrealiaError(err)) return { code: err.code, status: err.status, message: err.message, details: err.details as { path: string; message: string }[] };
    throw err;
  }
  throw new Error("expected the recipe to be refused");
}

describe("recipe validation", () => {
  test("a partial recipe is completed with neutral defaults", () => {
    const r = parseRecipe({ basic: { exposure: 1.25 } });
    expect(r.schema).toBe(RECIPE_SCHEMA);
    expect(r.version).toBe(RECIPE_VERSION);
    expect(r.basic.exposure).toBe(1.25);
    expect(r.basic.contrast).toBe(0);
    expect(r.hsl.blue).toEqual({ hue: 0, saturation: 0, luminance: 0 });
    expect(r.colorGrading.blending).toBe(50);
    expect(r.toneCurve.rgb).toEqual([
      [0, 0],
      [1, 1],
    ]);
    expect(isNeutral(parseRecipe({}))).toBe(true);
  });

  test("every problem is listed with its JSON path, range and value", () => {
    const p = problems({
      basic: { exposure: 7, contrast: "high" },
      hsl: { pink: { hue: 1 } },
      toneCurve: {
        rgb: [
          [0, 0],
          [0.5, 0.4],
          [0.4, 0.6],
          [1, 1],
        ],
      },
      geometry: { rotate: 45, crop: { aspect: "7:3", x: 0.6, width: 0.6 } },
      local: [{ mask: { type: "blob" } }],
      extra: true,
    });
    expect(p.code).toBe("FILTERS_INVALID_RECIPE");
    expect(p.status).toBe(400);
    const byPath = Object.fromEntries(p.details.map((d) => [d.path, d.message]));
    expect(byPath["/basic/exposure"]).toBe("must be between -5 and 5 (got 7)");
    expect(byPath["/basic/contrast"]).toMatch(/must be a number between -100 and 100 \(got "high"\)/);
    expect(byPath["/hsl/pink"]).toMatch(/not a recipe field here; expected one of red, orange/);
    expect(byPath["/toneCurve/rgb/2"]).toMatch(/x must increase/);
    expect(byPath["/geometry/rotate"]).toMatch(/one of 0, 90, 180, 270/);
    expect(byPath["/geometry/crop/aspect"]).toMatch(/one of free, original, 1:1/);
    expect(byPath["/geometry/crop"]).toMatch(/x \+ width must not pass the right edge/);
    expect(byPath["/local/0/mask/type"]).toMatch(/linear, radial or extension/);
    expect(byPath["/extra"]).toMatch(/not a recipe field/);
    expect(p.message).toMatch(/^the recipe is invalid: /);
  });

  test("versions: newer ones are refused with their own code, the schema id must match", () => {
    let err: unknown;
    try {
      parseRecipe({ version: RECIPE_VERSION + 1 });
    } catch (e) {
      err = e;
    }
    expect(isCrealiaError(err) && err.code).toBe("FILTERS_RECIPE_VERSION");
    expect(problems({ schema: "other" }).details[0]?.path).toBe("/schema");
    expect(parseRecipe({ schema: RECIPE_SCHEMA, version: 1 }).version).toBe(1);
  });

  test("curves need their ends at x = 0 and x = 1 and at most 16 points", () => {
    expect(
      problems({
        toneCurve: {
          red: [
            [0.1, 0],
            [1, 1],
          ],
        },
      }).details[0]?.message,
    ).toMatch(/first point's x must be 0/);
    const many = Array.from({ length: 17 }, (_, i) => [i / 16, i / 16]);
    expect(problems({ toneCurve: { rgb: many } }).details[0]?.message).toMatch(/2 to 16 points/);
  });

  test("masks: radial radii must be positive, extension providers are <plugin>/<name>", () => {
    const p = problems({
      local: [
        { mask: { type: "radial", cx: 0.5, cy: 0.5, rx: 0, ry: 0.2 } },
        { mask: { type: "extension", provider: "Face Skin" } },
        { mask: { type: "linear", x1: 0, y1: 0, x2: 0, y2: 0 } },
      ],
    });
    const paths = p.details.map((d) => d.path);
    expect(paths).toContain("/local/0/mask/rx");
    expect(paths).toContain("/local/1/mask/provider");
    expect(paths).toContain("/local/2/mask");
  });

  test("compact keeps only what differs from neutral and round-trips", () => {
    const r = parseRecipe({ basic: { exposure: 0.5 }, hsl: { blue: { saturation: -20 } }, effects: { grain: { amount: 10 } } });
    expect(compactRecipe(r)).toEqual({ basic: { exposure: 0.5 }, hsl: { blue: { saturation: -20 } }, effects: { grain: { amount: 10 } } });
    expect(parseRecipe(compactRecipe(r))).toEqual(r);
    expect(compactRecipe(neutralRecipe())).toEqual({});
  });

  test("patches merge onto a recipe; groups pick parts of one (sync)", () => {
    const mine = parseRecipe({ basic: { exposure: 1, temperature: 20 }, geometry: { rotate: 90 }, presence: { clarity: 10 } });
    const bw = applyPatch(mine, parsePatch({ presence: { saturation: -100 } }));
    expect(bw.presence).toMatchObject({ saturation: -100, clarity: 10 });
    expect(bw.basic.exposure).toBe(1);
    const wb = pickGroups(mine, ["whiteBalance"]);
    expect(wb).toEqual({ basic: { temperature: 20, tint: 0 } });
    const other = applyPatch(parseRecipe({ basic: { exposure: -1 } }), wb);
    expect(other.basic).toMatchObject({ exposure: -1, temperature: 20 });
    expect(pickGroups(mine, ["geometry"]).geometry?.rotate).toBe(90);
  });

  test("the JSON Schema carries every slider's range and default", () => {
    const schema = recipeJsonSchema() as { properties: { basic: { properties: Record<string, { minimum: number; maximum: number; default: number }> } } };
    for (const [k, p] of Object.entries(BASIC_PARAMS)) {
      expect(schema.properties.basic.properties[k]).toMatchObject({ minimum: p.min, maximum: p.max, default: p.default });
    }
  });

  test("there are at least 12 built-in presets, each valid, distinct and not neutral", () => {
    expect(BUILTIN_PRESETS.length).toBeGreaterThanOrEqual(12);
    expect(new Set(BUILTIN_PRESETS.map((p) => p.id)).size).toBe(BUILTIN_PRESETS.length);
    for (const p of BUILTIN_PRESETS) {
      const r = parseRecipe(p.recipe);
      expect(isNeutral(r), p.id).toBe(false);
      expect(p.description.length).toBeGreaterThan(20);
    }
  });
});

describe(".cube files", () => {
  test("reads 3D and 1D LUTs with domains and comments", () => {
    const lut = parseCube(
      `# comment\nTITLE "Warm"\nLUT_3D_SIZE 2\nDOMAIN_MIN 0 0 0\nDOMAIN_MAX 1 1 1\n0 0 0\n1 0 0\n0 1 0\n1 1 0\n0 0 1\n1 0 1\n0 1 1\n1 1 1\n`,
    );
    expect(lut).toMatchObject({ kind: "3d", size: 2, title: "Warm" });
    expect(lut.data.length).toBe(24);
    expect(parseCube("LUT_1D_SIZE 2\n0 0 0\n1 1 1\n").kind).toBe("1d");
  });

  test("bad files name the line", () => {
    expect(() => parseCube("LUT_3D_SIZE 2\n0 0 0\n1 x 0\n")).toThrow(/line 3: not a number/);
    expect(() => parseCube("LUT_3D_SIZE 2\n0 0 0\n")).toThrow(/declares 8 entries but has 1/);
    expect(() => parseCube("0 0 0\n")).toThrow(/line 1: data before LUT_3D_SIZE/);
    expect(() => parseCube("LUT_3D_SIZE 500\n")).toThrow(/from 2 to 96/);
  });
});

describe("export options", () => {
  test("platforms set size, aspect, format and byte limit; sized exports default to a new asset", () => {
    const o = parseExportOptions({ platform: "instagram-story" });
    expect(o).toMatchObject({
      format: "jpeg",
      limits: { exact: { width: 1080, height: 1920 } },
      forceAspect: 1080 / 1920,
      maxBytes: 8 * 1024 * 1024,
      saveAs: "asset",
    });
    expect(parseExportOptions({}).saveAs).toBe("version");
    expect(parseExportOptions({ longEdge: 2048, format: "webp" })).toMatchObject({ saveAs: "asset", format: "webp", limits: { longEdge: 2048 } });
    expect(parseExportOptions({}).exif).toEqual({ keep: true, keepGps: false });
  });

  test("bad options are FILTERS_INVALID_OPTIONS naming the field", () => {
    expect(() => parseExportOptions({ format: "gif" })).toThrow(/export option format must be one of jpeg, png, webp, avif, tiff/);
    expect(() => parseExportOptions({ platform: "myspace" })).toThrow(/platform must be one of instagram-portrait/);
    expect(() => parseExportOptions({ quality: 0 })).toThrow(/quality must be a whole number from 1 to 100/);
    expect(() => parseExportOptions({ size: 3 })).toThrow(/size is not an export option/);
  });
});
