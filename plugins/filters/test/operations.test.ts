/**
 * Golden tests: each operation on generated images moves the pixels the way it should, by about
 * the right amount, and is the identity at its neutral default. Real sharp, the real renderer.
 */
import sharp from "sharp";
import { describe, expect, test } from "vitest";
import { parseRecipe } from "../src/recipe/recipe.js";
import { neutralRecipe } from "../src/recipe/schema.js";
import { analyse, autoEnhance } from "../src/render/analysis.js";
import { formatCube, identityCube, parseCube } from "../src/render/color/cube.js";
import { Renderer } from "../src/render/renderer.js";
import { develop, mean, noisy, patches, srgbToLinear, std, testCard } from "./helpers.js";

sharp.concurrency(1);

const GREYS: [number, number, number][] = [
  [20, 20, 20],
  [60, 60, 60],
  [118, 118, 118],
  [180, 180, 180],
  [235, 235, 235],
];
const at = (p: { at(x: number, y: number): [number, number, number] }, i: number, size = 16) => p.at(i * size + size / 2, size / 2);
const chroma = (c: number[]) => Math.max(...c) - Math.min(...c);
const luma = (c: number[]) => 0.2126 * srgbToLinear(c[0] as number) + 0.7152 * srgbToLinear(c[1] as number) + 0.0722 * srgbToLinear(c[2] as number);

describe("neutral defaults and order", () => {
  test("an empty recipe and a recipe with every default spelled out both give back the source bytes", async () => {
    const card = await testCard();
    const src = await develop(card, {});
    const full = await develop(card, neutralRecipe());
    const { data } = await sharp(card).raw().toBuffer({ resolveWithObject: true });
    expect(Buffer.from(src.data).equals(data)).toBe(true);
    expect(Buffer.from(full.data).equals(data)).toBe(true);
  });

  test("an operation moved and moved back to its default is the identity again", async () => {
    const card = await testCard();
    const moved = parseRecipe({ basic: { exposure: 1, contrast: 30 }, presence: { saturation: 40 } });
    const back = parseRecipe({ ...moved, basic: { ...moved.basic, exposure: 0, contrast: 0 }, presence: { ...moved.presence, saturation: 0 } });
    const { data } = await sharp(card).raw().toBuffer({ resolveWithObject: true });
    expect(Buffer.from((await develop(card, back)).data).equals(data)).toBe(true);
  });

  test("a recipe applied twice gives byte-identical output (grain included)", async () => {
    const card = await testCard();
    const recipe = { basic: { exposure: 0.3 }, presence: { clarity: 30, vibrance: 20 }, effects: { grain: { amount: 40 }, vignette: { amount: -30 } } };
    const a = await develop(card, recipe);
    const b = await develop(card, recipe);
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
  });
});

describe("light", () => {
  test("+1 EV doubles linear values and −1 EV halves them (within 3 %)", async () => {
    const img = await patches(GREYS.slice(0, 4));
    const up = await develop(img, { basic: { exposure: 1 } });
    const down = await develop(img, { basic: { exposure: -1 } });
    for (let i = 0; i < 4; i++) {
      const before = srgbToLinear((GREYS[i] as number[])[0] as number);
      const after = srgbToLinear(at(up, i)[0]);
      if (before * 2 < 0.95) {
        expect(after / before).toBeGreaterThan(1.94);
        expect(after / before).toBeLessThan(2.06);
      }
      expect(srgbToLinear(at(down, i)[0]) / before).toBeCloseTo(0.5, 1);
    }
  });

  test("contrast pushes darks down and lights up around mid grey", async () => {
    const img = await patches(GREYS);
    const out = await develop(img, { basic: { contrast: 60 } });
    expect(at(out, 1)[0]).toBeLessThan(60 - 5);
    expect(Math.abs(at(out, 2)[0] - 118)).toBeLessThanOrEqual(3);
    expect(at(out, 3)[0]).toBeGreaterThan(180 + 5);
    const flat = await develop(img, { basic: { contrast: -60 } });
    expect(at(flat, 1)[0]).toBeGreaterThan(60);
    expect(at(flat, 3)[0]).toBeLessThan(180);
  });

  test("highlights and shadows move their own end of the range", async () => {
    const img = await patches(GREYS);
    const hi = await develop(img, { basic: { highlights: -80 } });
    expect(at(hi, 3)[0]).toBeLessThan(180 - 10);
    expect(Math.abs(at(hi, 0)[0] - 20)).toBeLessThanOrEqual(2);
    const sh = await develop(img, { basic: { shadows: 80 } });
    expect(at(sh, 1)[0]).toBeGreaterThan(60 + 15);
    expect(Math.abs(at(sh, 4)[0] - 235)).toBeLessThanOrEqual(3);
  });

  test("whites and blacks move the ends", async () => {
    const img = await patches(GREYS);
    const w = await develop(img, { basic: { whites: 60 } });
    expect(at(w, 4)[0]).toBeGreaterThan(240);
    expect(Math.abs(at(w, 0)[0] - 20)).toBeLessThanOrEqual(1);
    const b = await develop(img, { basic: { blacks: -60 } });
    expect(at(b, 0)[0]).toBeLessThan(12);
    expect(Math.abs(at(b, 4)[0] - 235)).toBeLessThanOrEqual(1);
  });

  test("temperature warms (red up, blue down) and tint goes magenta, keeping grey's luminance", async () => {
    const img = await patches([[128, 128, 128]]);
    const warm = at(await develop(img, { basic: { temperature: 50 } }), 0);
    expect(warm[0]).toBeGreaterThan(warm[1]);
    expect(warm[1]).toBeGreaterThan(warm[2]);
    expect(luma(warm) / luma([128, 128, 128])).toBeCloseTo(1, 1);
    const cool = at(await develop(img, { basic: { temperature: -50 } }), 0);
    expect(cool[2]).toBeGreaterThan(cool[0]);
    const magenta = at(await develop(img, { basic: { tint: 50 } }), 0);
    expect(magenta[1]).toBeLessThan(magenta[0]);
    expect(magenta[1]).toBeLessThan(magenta[2]);
  });

  test("dehaze removes a veil: blacks go down and contrast goes up", async () => {
    const hazy = await patches([
      [110, 115, 120],
      [150, 155, 160],
      [200, 202, 205],
    ]);
    const out = await develop(hazy, { presence: { dehaze: 80 } });
    expect(at(out, 0)[0]).toBeLessThan(110 - 10);
    expect(at(out, 2)[0] - at(out, 0)[0]).toBeGreaterThan(200 - 110);
  });
});

describe("colour", () => {
  const colours: [number, number, number][] = [
    [200, 60, 50],
    [60, 160, 70],
    [70, 90, 200],
    [140, 120, 110],
  ];

  test("saturation −100 gives equal channels; +50 widens them; greys stay grey", async () => {
    const img = await patches([...colours, [128, 128, 128]]);
    const bw = await develop(img, { presence: { saturation: -100 } });
    for (let i = 0; i < 5; i++) expect(chroma(at(bw, i))).toBeLessThanOrEqual(1);
    const sat = await develop(img, { presence: { saturation: 50 } });
    for (let i = 0; i < 4; i++) expect(chroma(at(sat, i))).toBeGreaterThan(chroma(colours[i] as number[]));
    expect(chroma(at(sat, 4))).toBeLessThanOrEqual(1);
  });

  test("vibrance lifts muted colours more than saturated ones", async () => {
    const muted: [number, number, number] = [140, 120, 110];
    const strong: [number, number, number] = [70, 90, 200];
    const img = await patches([muted, strong]);
    const out = await develop(img, { presence: { vibrance: 60 } });
    const gainMuted = chroma(at(out, 0)) / chroma(muted);
    const gainStrong = chroma(at(out, 1)) / chroma(strong);
    expect(gainMuted).toBeGreaterThan(1.1);
    expect(gainMuted).toBeGreaterThan(gainStrong);
  });

  test("HSL bands: red saturation −100 greys the red only; red luminance darkens red only; red hue +100 turns it orange", async () => {
    const img = await patches([
      [220, 30, 30],
      [30, 60, 220],
      [128, 128, 128],
    ]);
    const desat = await develop(img, { hsl: { red: { saturation: -100 } } });
    expect(chroma(at(desat, 0))).toBeLessThanOrEqual(3);
    expect(chroma(at(desat, 1))).toBeGreaterThan(150);
    const dark = await develop(img, { hsl: { red: { luminance: -60 } } });
    expect(luma(at(dark, 0))).toBeLessThan(luma([220, 30, 30]) * 0.8);
    expect(at(dark, 1)).toEqual([30, 60, 220]);
    expect(at(dark, 2)).toEqual([128, 128, 128]);
    const hue = await develop(img, { hsl: { red: { hue: 100 } } });
    expect(at(hue, 0)[1]).toBeGreaterThan(30 + 20);
  });

  test("colour grading tints shadows and highlights separately", async () => {
    const img = await patches([
      [40, 40, 40],
      [215, 215, 215],
    ]);
    const out = await develop(img, { colorGrading: { shadows: { hue: 240, saturation: 60 }, highlights: { hue: 60, saturation: 60 } } });
    const shadow = at(out, 0);
    const light = at(out, 1);
    expect(shadow[2]).toBeGreaterThan(shadow[0] + 4); // blue shadows
    expect(light[0]).toBeGreaterThan(light[2] + 4); // yellow highlights
    expect(light[1]).toBeGreaterThan(light[2] + 4);
  });

  test("tone curve: the RGB curve lifts mid grey; a channel curve changes only its channel", async () => {
    const img = await patches([[128, 128, 128]]);
    const lifted = at(
      await develop(img, {
        toneCurve: {
          rgb: [
            [0, 0],
            [0.5, 0.7],
            [1, 1],
          ],
        },
      }),
      0,
    );
    expect(Math.abs(lifted[0] - 0.7 * 255)).toBeLessThanOrEqual(2);
    const red = at(
      await develop(img, {
        toneCurve: {
          red: [
            [0, 0],
            [0.5, 0.3],
            [1, 1],
          ],
        },
      }),
      0,
    );
    expect(Math.abs(red[0] - 0.3 * 255)).toBeLessThanOrEqual(2);
    expect(red[1]).toBe(128);
    expect(red[2]).toBe(128);
  });

  test("a .cube identity LUT changes nothing; a channel-swap LUT swaps red and blue", async () => {
    const card = await testCard();
    const renderer = new Renderer();
    const recipe = parseRecipe({ lut: { id: "00000000-0000-4000-8000-000000000001", amount: 100 } });
    const source = { key: "cube", load: async () => card };
    const identity = parseCube(formatCube(identityCube(33)));
    const same = await renderer.render(source, recipe, { space: "srgb", purpose: "export", limits: {}, cube: identity });
    const { data } = await sharp(card).raw().toBuffer({ resolveWithObject: true });
    let maxDiff = 0;
    for (let i = 0; i < data.length; i++) maxDiff = Math.max(maxDiff, Math.abs((same.pixels[i] as number) - (data[i] as number)));
    expect(maxDiff).toBeLessThanOrEqual(1);
    const swap = identityCube(17);
    for (let i = 0; i < swap.data.length; i += 3) [swap.data[i], swap.data[i + 2]] = [swap.data[i + 2] as number, swap.data[i] as number];
    const swapped = await renderer.render(source, recipe, { space: "srgb", purpose: "export", limits: {}, cube: swap });
    const px = (buf: ArrayLike<number>, x: number, y: number) => [0, 1, 2].map((c) => buf[(y * 256 + x) * 3 + c] as number);
    const before = px(data, 200, 40);
    const after = px(swapped.pixels, 200, 40);
    expect(Math.abs((after[0] as number) - (before[2] as number))).toBeLessThanOrEqual(2);
    expect(Math.abs((after[2] as number) - (before[0] as number))).toBeLessThanOrEqual(2);
  });
});

describe("detail and effects", () => {
  /** A vertical edge from grey 80 to 170 in the middle of a 400 × 40 image. */
  async function edge(): Promise<Buffer> {
    return sharp({ create: { width: 400, height: 40, channels: 3, background: { r: 80, g: 80, b: 80 } } })
      .composite([{ input: { create: { width: 200, height: 40, channels: 3, background: { r: 170, g: 170, b: 170 } } }, left: 200, top: 0 }])
      .png()
      .toBuffer();
  }
  const row = (p: { at(x: number, y: number): [number, number, number] }) => Array.from({ length: 400 }, (_, x) => p.at(x, 20)[0]);

  test("sharpening steepens an edge (overshoot on both sides)", async () => {
    const img = await edge();
    const before = row(await develop(img, {}));
    const after = row(await develop(img, { detail: { sharpening: { amount: 120, radius: 1.5 } } }));
    expect(Math.min(...after.slice(188, 200))).toBeLessThan(Math.min(...before.slice(188, 200)));
    expect(Math.max(...after.slice(200, 212))).toBeGreaterThan(Math.max(...before.slice(200, 212)));
  });

  test("clarity and texture add local contrast near edges; negative values soften", async () => {
    const img = await edge();
    const base = row(await develop(img, {}));
    for (const presence of [{ clarity: 80 }, { texture: 80 }]) {
      const out = row(await develop(img, { presence }));
      expect(Math.min(...out.slice(188, 200)), JSON.stringify(presence)).toBeLessThan(Math.min(...base.slice(188, 200)) - 5);
      expect(Math.max(...out.slice(200, 212)), JSON.stringify(presence)).toBeGreaterThan(Math.max(...base.slice(200, 212)) + 5);
      expect(out[20]).toBe(base[20]); // far from the edge: flat, nothing to enhance
    }
    const soft = row(await develop(img, { presence: { clarity: -80 } }));
    expect(soft[198] as number).toBeGreaterThan(base[198] as number);
    expect(soft[201] as number).toBeLessThan(base[201] as number);
  });

  test("noise reduction lowers the noise of a flat field", async () => {
    const img = await noisy();
    const values = (p: { data: Uint8Array }) => Array.from(p.data.filter((_, i) => i % 3 === 1));
    const before = std(values(await develop(img, {})));
    const after = std(values(await develop(img, { detail: { noiseReduction: { luminance: 100, detail: 0 } } })));
    expect(after).toBeLessThan(before * 0.8);
    const chromaNoise = (p: { data: Uint8Array }) =>
      std(Array.from({ length: p.data.length / 3 }, (_, i) => (p.data[i * 3] as number) - (p.data[i * 3 + 2] as number)));
    const cBefore = chromaNoise(await develop(img, {}));
    const cAfter = chromaNoise(await develop(img, { detail: { noiseReduction: { color: 100 } } }));
    expect(cAfter).toBeLessThan(cBefore * 0.6);
  });

  test("vignette darkens (or lightens) the corners and leaves the centre", async () => {
    const img = await patches([[128, 128, 128]], 96);
    const dark = await develop(img, { effects: { vignette: { amount: -80 } } });
    expect(dark.at(1, 1)[0]).toBeLessThan(100);
    expect(Math.abs(dark.at(48, 48)[0] - 128)).toBeLessThanOrEqual(1);
    const light = await develop(img, { effects: { vignette: { amount: 80 } } });
    expect(light.at(1, 1)[0]).toBeGreaterThan(150);
  });

  test("grain adds noise to a flat grey, more with a higher amount, and keeps the mean", async () => {
    const img = await patches([[128, 128, 128]], 96);
    const g = (p: { data: Uint8Array }) => Array.from(p.data);
    const light = g(await develop(img, { effects: { grain: { amount: 20 } } }));
    const heavy = g(await develop(img, { effects: { grain: { amount: 80 } } }));
    expect(std(light)).toBeGreaterThan(1);
    expect(std(heavy)).toBeGreaterThan(std(light) * 2);
    expect(Math.abs(mean(heavy) - 128)).toBeLessThan(2);
  });
});

describe("geometry", () => {
  test("crop aspect presets give the aspect; a rectangle is kept inside the frame", async () => {
    const card = await testCard(256, 96);
    expect((await develop(card, { geometry: { crop: { aspect: "1:1" } } })).width).toBe(96);
    const portrait = await develop(card, { geometry: { crop: { aspect: "4:5" } } });
    expect(portrait.width / portrait.height).toBeCloseTo(0.8, 1);
    const wide = await develop(card, { geometry: { crop: { aspect: "free", x: 0.5, y: 0, width: 0.5, height: 1 } } });
    expect(wide.width).toBe(128);
    expect(wide.at(127, 10)[0]).toBeGreaterThan(250); // the right end of the grey ramp
  });

  test("rotate 90 turns the frame clockwise, flips mirror it", async () => {
    const card = await testCard(64, 30);
    const r = await develop(card, { geometry: { rotate: 90 } });
    expect([r.width, r.height]).toEqual([30, 64]);
    expect(r.at(29, 63)[0]).toBeGreaterThan(240); // the ramp's bright end is now at the bottom, grey band on the right
    const f = await develop(card, { geometry: { flipHorizontal: true } });
    expect(f.at(0, 2)[0]).toBeGreaterThan(240);
    const v = await develop(card, { geometry: { flipVertical: true } });
    expect(v.at(60, 29)).toEqual((await develop(card, {})).at(60, 0));
  });

  test("straighten rotates and crops to the largest rectangle of the same aspect: no empty corners", async () => {
    const img = await patches([[200, 200, 200]], 120);
    const s = await develop(img, { geometry: { straighten: 12 } });
    expect(s.width).toBe(s.height);
    expect(s.width).toBeLessThan(120);
    for (const [x, y] of [
      [0, 0],
      [s.width - 1, 0],
      [0, s.height - 1],
      [s.width - 1, s.height - 1],
    ] as [number, number][])
      expect(s.at(x, y)[0]).toBeGreaterThan(150);
  });
});

describe("local adjustments", () => {
  test("a radial mask brightens inside and leaves the outside", async () => {
    const img = await patches([[100, 100, 100]], 100);
    const out = await develop(img, {
      local: [{ mask: { type: "radial", cx: 0.5, cy: 0.5, rx: 0.25, ry: 0.25, feather: 10 }, adjustments: { exposure: 1.5 } }],
    });
    expect(out.at(50, 50)[0]).toBeGreaterThan(140);
    expect(out.at(2, 2)[0]).toBe(100);
    const inverted = await develop(img, {
      local: [{ mask: { type: "radial", cx: 0.5, cy: 0.5, rx: 0.25, ry: 0.25, feather: 10, invert: true }, adjustments: { exposure: 1.5 } }],
    });
    expect(inverted.at(50, 50)[0]).toBe(100);
    expect(inverted.at(2, 2)[0]).toBeGreaterThan(140);
  });

  test("a linear gradient fades from full effect to none, and sticks to the photo through a flip", async () => {
    const img = await patches([[100, 100, 100]], 100);
    const recipe = { local: [{ mask: { type: "linear", x1: 0.5, y1: 0, x2: 0.5, y2: 1 }, adjustments: { exposure: -1.5 } }] };
    const out = await develop(img, recipe);
    expect(out.at(50, 0)[0]).toBeLessThanOrEqual(61);
    expect(out.at(50, 50)[0]).toBeLessThan(100);
    expect(out.at(50, 99)[0]).toBeGreaterThanOrEqual(99);
    const flipped = await develop(img, { ...recipe, geometry: { flipVertical: true } });
    expect(flipped.at(50, 99)[0]).toBeLessThanOrEqual(61);
    expect(flipped.at(50, 0)[0]).toBeGreaterThanOrEqual(99);
  });

  test("amount scales a local adjustment; a missing mask provider skips it with a warning", async () => {
    const img = await patches([[100, 100, 100]], 40);
    const half = await develop(img, {
      local: [{ amount: 50, mask: { type: "radial", cx: 0.5, cy: 0.5, rx: 2, ry: 2, feather: 0 }, adjustments: { exposure: 1 } }],
    });
    const full = await develop(img, {
      local: [{ amount: 100, mask: { type: "radial", cx: 0.5, cy: 0.5, rx: 2, ry: 2, feather: 0 }, adjustments: { exposure: 1 } }],
    });
    expect(half.at(20, 20)[0]).toBeGreaterThan(100);
    expect(half.at(20, 20)[0]).toBeLessThan(full.at(20, 20)[0]);
    const missing = await develop(img, { local: [{ mask: { type: "extension", provider: "face/skin" }, adjustments: { exposure: 1 } }] });
    expect(missing.at(20, 20)[0]).toBe(100);
    expect(missing.warnings.join()).toMatch(/face\/skin/);
  });
});

describe("auto-enhance", () => {
  test("brightens a dark photo and warms a blue cast", async () => {
    const dark = await testCard();
    const { data, info } = await sharp(dark).linear(0.35, 0).raw().toBuffer({ resolveWithObject: true });
    const patch = autoEnhance(analyse(new Uint8Array(data), 255));
    expect(patch.basic?.exposure ?? 0).toBeGreaterThan(0.5);
    expect(info.width).toBe(256);
    const blue = await sharp(
      await patches([
        [110, 125, 170],
        [60, 70, 110],
        [170, 180, 220],
      ]),
    )
      .raw()
      .toBuffer();
    const fix = autoEnhance(analyse(new Uint8Array(blue), 255));
    expect(fix.basic?.temperature ?? 0).toBeGreaterThan(10);
    // Developing with the patch makes the cast smaller.
    const img = await patches([[110, 125, 170]]);
    const out = at(await develop(img, fix), 0);
    expect(out[2] - out[0]).toBeLessThan(170 - 110);
  });
});
