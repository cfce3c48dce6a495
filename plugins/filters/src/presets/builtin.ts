/**
 * Built-in looks. Each is a partial recipe: applying one changes only what it names, so a look
 * keeps the photo's own exposure, white balance and crop unless it is about them. Designed on the
 * renderer's own sliders (no LUTs), so they work in every tenant and in Display P3.
 */
import type { RecipePatch } from "../recipe/schema.js";

export interface BuiltinPreset {
  id: string;
  name: string;
  group: string;
  description: string;
  recipe: RecipePatch;
}

const curve = (...pts: [number, number][]) => pts;

export const BUILTIN_PRESETS: BuiltinPreset[] = [
  {
    id: "builtin:vivid",
    name: "Vivid",
    group: "Color",
    description: "Rich colour without neon skin: vibrance does most of the work, a touch of contrast and clarity.",
    recipe: { basic: { contrast: 15, blacks: -5 }, presence: { vibrance: 35, saturation: 8, clarity: 10 } },
  },
  {
    id: "builtin:natural-boost",
    name: "Natural boost",
    group: "Color",
    description: "Opens shadows, holds highlights and lifts muted colours: the everyday starting point.",
    recipe: { basic: { highlights: -20, shadows: 15 }, presence: { vibrance: 15, clarity: 5 } },
  },
  {
    id: "builtin:warm-glow",
    name: "Warm glow",
    group: "Color",
    description: "Late-afternoon warmth: warmer balance, golden highlights, soft edges.",
    recipe: {
      basic: { temperature: 18, tint: 4, highlights: -15, shadows: 10 },
      colorGrading: { highlights: { hue: 40, saturation: 15, luminance: 0 } },
      effects: { vignette: { amount: -10 } },
    },
  },
  {
    id: "builtin:cool-morning",
    name: "Cool morning",
    group: "Color",
    description: "Crisp and blue-grey, like the first light: cooler balance, cool shadows, calmer colour.",
    recipe: {
      basic: { temperature: -15, tint: -3, contrast: -5 },
      presence: { saturation: -5 },
      colorGrading: { shadows: { hue: 210, saturation: 12, luminance: 0 } },
    },
  },
  {
    id: "builtin:teal-orange",
    name: "Teal & orange",
    group: "Cinematic",
    description: "The blockbuster split: teal shadows, warm skin and highlights.",
    recipe: {
      basic: { contrast: 10 },
      hsl: { orange: { hue: 0, saturation: 15, luminance: 0 }, aqua: { hue: -10, saturation: 10, luminance: 0 } },
      colorGrading: { shadows: { hue: 195, saturation: 30, luminance: 0 }, highlights: { hue: 35, saturation: 25, luminance: 0 }, balance: -10 },
    },
  },
  {
    id: "builtin:moody",
    name: "Moody",
    group: "Cinematic",
    description: "Dark and muted with blue shadows and a heavy vignette.",
    recipe: {
      basic: { exposure: -0.3, contrast: 20, highlights: -40, shadows: -10 },
      presence: { saturation: -20 },
      colorGrading: { shadows: { hue: 220, saturation: 15, luminance: 0 } },
      effects: { vignette: { amount: -20 } },
    },
  },
  {
    id: "builtin:matte",
    name: "Matte",
    group: "Film",
    description: "Lifted blacks and rolled-off whites: a flat print look.",
    recipe: {
      basic: { contrast: -10 },
      presence: { saturation: -10 },
      toneCurve: { rgb: curve([0, 0.08], [0.25, 0.27], [0.75, 0.76], [1, 0.95]) },
      effects: { grain: { amount: 10 } },
    },
  },
  {
    id: "builtin:film-classic",
    name: "Film classic",
    group: "Film",
    description: "A colour-negative feel: gentle curve, warm highlights, soft skin, fine grain.",
    recipe: {
      presence: { saturation: -8 },
      hsl: { orange: { hue: 0, saturation: -10, luminance: 8 } },
      toneCurve: { rgb: curve([0, 0.04], [0.25, 0.24], [0.75, 0.78], [1, 0.97]) },
      colorGrading: { shadows: { hue: 200, saturation: 6, luminance: 0 }, highlights: { hue: 45, saturation: 12, luminance: 0 } },
      effects: { vignette: { amount: -8 }, grain: { amount: 20, size: 30 } },
    },
  },
  {
    id: "builtin:film-fade",
    name: "Film fade",
    group: "Film",
    description: "A faded print: milky blacks, cool shadows, warm highlights, visible grain.",
    recipe: {
      presence: { saturation: -15 },
      toneCurve: { rgb: curve([0, 0.12], [0.3, 0.33], [1, 0.96]) },
      colorGrading: { shadows: { hue: 220, saturation: 10, luminance: 0 }, highlights: { hue: 45, saturation: 10, luminance: 0 } },
      effects: { grain: { amount: 25, size: 35, roughness: 60 } },
    },
  },
  {
    id: "builtin:bw-classic",
    name: "B&W classic",
    group: "Black & white",
    description: "Balanced monochrome: reds a little lighter, blues a little darker, a touch of clarity.",
    recipe: {
      basic: { contrast: 20 },
      presence: { saturation: -100, clarity: 10 },
      hsl: { red: { hue: 0, saturation: 0, luminance: 10 }, blue: { hue: 0, saturation: 0, luminance: -15 } },
    },
  },
  {
    id: "builtin:bw-contrast",
    name: "B&W high contrast",
    group: "Black & white",
    description: "Punchy monochrome with dark skies, deep blacks and grain.",
    recipe: {
      basic: { contrast: 45, whites: 15, blacks: -20 },
      presence: { saturation: -100, clarity: 25 },
      hsl: { red: { hue: 0, saturation: 0, luminance: 20 }, blue: { hue: 0, saturation: 0, luminance: -30 }, aqua: { hue: 0, saturation: 0, luminance: -20 } },
      effects: { grain: { amount: 15 } },
    },
  },
  {
    id: "builtin:bw-soft",
    name: "B&W soft",
    group: "Black & white",
    description: "Gentle monochrome for portraits: open shadows, lifted blacks, fine grain.",
    recipe: {
      basic: { contrast: -15, shadows: 20 },
      presence: { saturation: -100 },
      toneCurve: { rgb: curve([0, 0.05], [0.5, 0.52], [1, 1]) },
      effects: { grain: { amount: 10 } },
    },
  },
  {
    id: "builtin:sepia",
    name: "Sepia",
    group: "Black & white",
    description: "Warm-toned monochrome, like an old print.",
    recipe: {
      basic: { contrast: 5 },
      presence: { saturation: -100 },
      colorGrading: { global: { hue: 35, saturation: 25, luminance: 0 } },
      effects: { vignette: { amount: -10 } },
    },
  },
  {
    id: "builtin:portrait-soft",
    name: "Portrait soft",
    group: "Portrait",
    description: "Smoother skin and warmer tones without looking edited.",
    recipe: {
      basic: { temperature: 5, highlights: -10 },
      presence: { texture: -15, clarity: -10 },
      hsl: { orange: { hue: 0, saturation: -5, luminance: 10 } },
      effects: { vignette: { amount: -5 } },
    },
  },
  {
    id: "builtin:landscape-punch",
    name: "Landscape punch",
    group: "Landscape",
    description: "Clearer air, deeper skies, greener greens: for scenery in flat light.",
    recipe: {
      basic: { highlights: -30, shadows: 20 },
      presence: { dehaze: 15, clarity: 20, vibrance: 25 },
      hsl: { blue: { hue: 0, saturation: 10, luminance: -10 }, green: { hue: 0, saturation: 10, luminance: 0 } },
    },
  },
];

export const isBuiltinId = (id: string) => id.startsWith("builtin:");
