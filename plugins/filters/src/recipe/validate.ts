import { filtersError } from "../errors.js";
import {
  ASPECTS,
  BASIC_PARAMS,
  CURVE_CHANNELS,
  CURVE_MAX_POINTS,
  type CurvePoint,
  GRADING_PARAMS,
  GRADING_WHEELS,
  GRAIN_PARAMS,
  HSL_BANDS,
  HSL_PARAMS,
  LOCAL_AMOUNT,
  LOCAL_PARAMS,
  LUT_PARAMS,
  MAX_LOCAL_ADJUSTMENTS,
  NOISE_PARAMS,
  type Param,
  PRESENCE_PARAMS,
  RADIAL_FEATHER,
  RECIPE_SCHEMA,
  RECIPE_VERSION,
  type RecipePatch,
  ROTATIONS,
  SHARPENING_PARAMS,
  STRAIGHTEN_PARAM,
  VIGNETTE_PARAMS,
  WHEEL_PARAMS,
} from "./schema.js";

/** One problem with a recipe: where (a JSON pointer) and what, in words. */
export interface RecipeProblem {
  path: string;
  message: string;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PROVIDER = /^[a-z][a-z0-9-]*\/[A-Za-z0-9._-]+$/;

/**
 * Older documents are upgraded one version at a time before they are checked. Version 1 is the
 * first, so the table is empty; a version 2 adds `1: (doc) => …` here and never breaks stored recipes.
 */
const UPGRADES: Record<number, (doc: Json) => Json> = {};

class Checker {
  readonly problems: RecipeProblem[] = [];

  fail(path: string, message: string) {
    if (this.problems.length < 50) this.problems.push({ path: path || "/", message });
  }

  /** Checks an object's keys against `allowed`; returns the object or undefined when it is not one. */
  object(value: unknown, path: string, allowed: readonly string[]): Json | undefined {
    if (!isObject(value)) {
      this.fail(path, `must be an object (got ${describe(value)})`);
      return undefined;
    }
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) this.fail(`${path}/${key}`, `is not a recipe field here; expected one of ${allowed.join(", ")}`);
    }
    return value;
  }

  number(value: unknown, path: string, param: Pick<Param, "min" | "max">): number | undefined {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      this.fail(path, `must be a number between ${param.min} and ${param.max} (got ${describe(value)})`);
      return undefined;
    }
    if (value < param.min || value > param.max) {
      this.fail(path, `must be between ${param.min} and ${param.max} (got ${value})`);
      return undefined;
    }
    return value;
  }

  boolean(value: unknown, path: string): boolean | undefined {
    if (typeof value !== "boolean") {
      this.fail(path, `must be true or false (got ${describe(value)})`);
      return undefined;
    }
    return value;
  }

  /** An object of numeric params; unknown keys and out-of-range values are problems. Returns the valid subset. */
  params(value: unknown, path: string, params: Record<string, Param>): Record<string, number> | undefined {
    const o = this.object(value, path, Object.keys(params));
    if (!o) return undefined;
    const out: Record<string, number> = {};
    for (const [key, param] of Object.entries(params)) {
      if (o[key] === undefined) continue;
      const n = this.number(o[key], `${path}/${key}`, param);
      if (n !== undefined) out[key] = n;
    }
    return out;
  }
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `"${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
  if (typeof v === "object") return "an object";
  return String(v);
}

const TOP_LEVEL = ["schema", "version", "basic", "presence", "hsl", "colorGrading", "toneCurve", "lut", "detail", "effects", "geometry", "local"] as const;

/**
 * Checks a recipe (or a partial one: presets and sync send only some groups) and returns it
 * upgraded to the current version, with only the fields it had. Throws a 400 listing every
 * problem with its JSON path: `FILTERS_INVALID_RECIPE`, or `FILTERS_RECIPE_VERSION` for a
 * version this plugin does not know.
 */
export function checkRecipe(input: unknown): RecipePatch {
  if (!isObject(input))
    throw filtersError("FILTERS_INVALID_RECIPE", `a recipe must be a JSON object (got ${describe(input)})`, [{ path: "/", message: "must be an object" }]);
  let doc: Json = input;
  if (doc.version !== undefined) {
    const v = doc.version;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
      throw filtersError("FILTERS_RECIPE_VERSION", `recipe version must be a whole number from 1 to ${RECIPE_VERSION} (got ${describe(v)})`);
    }
    if (v > RECIPE_VERSION) {
      throw filtersError(
        "FILTERS_RECIPE_VERSION",
        `recipe version ${v} is newer than this plugin understands (up to ${RECIPE_VERSION}): update the filters plugin`,
      );
    }
    for (let from = v; from < RECIPE_VERSION; from++) {
      const up = UPGRADES[from];
      if (up) doc = up(doc);
    }
  }
  const c = new Checker();
  const o = c.object(doc, "", TOP_LEVEL);
  const out: RecipePatch = {};
  if (o) {
    if (o.schema !== undefined && o.schema !== RECIPE_SCHEMA) c.fail("/schema", `must be "${RECIPE_SCHEMA}" (got ${describe(o.schema)})`);
    if (o.basic != null) out.basic = c.params(o.basic, "/basic", BASIC_PARAMS);
    if (o.presence != null) out.presence = c.params(o.presence, "/presence", PRESENCE_PARAMS);
    if (o.hsl != null) {
      const hsl = c.object(o.hsl, "/hsl", HSL_BANDS);
      if (hsl) {
        out.hsl = {};
        for (const band of HSL_BANDS) if (hsl[band] != null) out.hsl[band] = c.params(hsl[band], `/hsl/${band}`, HSL_PARAMS);
      }
    }
    if (o.colorGrading != null) {
      const g = c.object(o.colorGrading, "/colorGrading", [...GRADING_WHEELS, ...Object.keys(GRADING_PARAMS)]);
      if (g) {
        const grading: Json = {};
        for (const w of GRADING_WHEELS) if (g[w] != null) grading[w] = c.params(g[w], `/colorGrading/${w}`, WHEEL_PARAMS);
        for (const [k, param] of Object.entries(GRADING_PARAMS)) if (g[k] !== undefined) grading[k] = c.number(g[k], `/colorGrading/${k}`, param);
        out.colorGrading = grading as RecipePatch["colorGrading"];
      }
    }
    if (o.toneCurve != null) {
      const t = c.object(o.toneCurve, "/toneCurve", CURVE_CHANNELS);
      if (t) {
        out.toneCurve = {};
        for (const ch of CURVE_CHANNELS) if (t[ch] != null) out.toneCurve[ch] = checkCurve(c, t[ch], `/toneCurve/${ch}`);
      }
    }
    if (o.lut === null) out.lut = null;
    else if (o.lut !== undefined) {
      const l = c.object(o.lut, "/lut", ["id", "amount", "name"]);
      if (l) {
        if (typeof l.id !== "string" || !UUID.test(l.id))
          c.fail("/lut/id", `must be the id (a uuid) of a LUT imported with POST /luts (got ${describe(l.id)})`);
        const amount = l.amount === undefined ? LUT_PARAMS.amount.default : c.number(l.amount, "/lut/amount", LUT_PARAMS.amount);
        out.lut = { id: String(l.id), amount };
      }
    }
    if (o.detail != null) {
      const d = c.object(o.detail, "/detail", ["sharpening", "noiseReduction"]);
      if (d) {
        out.detail = {};
        if (d.sharpening != null) out.detail.sharpening = c.params(d.sharpening, "/detail/sharpening", SHARPENING_PARAMS);
        if (d.noiseReduction != null) out.detail.noiseReduction = c.params(d.noiseReduction, "/detail/noiseReduction", NOISE_PARAMS);
      }
    }
    if (o.effects != null) {
      const e = c.object(o.effects, "/effects", ["vignette", "grain"]);
      if (e) {
        out.effects = {};
        if (e.vignette != null) out.effects.vignette = c.params(e.vignette, "/effects/vignette", VIGNETTE_PARAMS);
        if (e.grain != null) out.effects.grain = c.params(e.grain, "/effects/grain", GRAIN_PARAMS);
      }
    }
    if (o.geometry != null) out.geometry = checkGeometry(c, o.geometry);
    if (o.local != null) out.local = checkLocal(c, o.local);
  }
  if (c.problems.length) {
    const summary = c.problems
      .slice(0, 5)
      .map((p) => `${p.path} ${p.message}`)
      .join("; ");
    throw filtersError(
      "FILTERS_INVALID_RECIPE",
      `the recipe is invalid: ${summary}${c.problems.length > 5 ? ` (and ${c.problems.length - 5} more)` : ""}`,
      c.problems,
    );
  }
  return out;
}

function checkCurve(c: Checker, value: unknown, path: string): CurvePoint[] | undefined {
  if (!Array.isArray(value)) {
    c.fail(path, `must be an array of [x, y] points (got ${describe(value)})`);
    return undefined;
  }
  if (value.length < 2 || value.length > CURVE_MAX_POINTS) {
    c.fail(path, `must have 2 to ${CURVE_MAX_POINTS} points (got ${value.length})`);
    return undefined;
  }
  const points: CurvePoint[] = [];
  let ok = true;
  value.forEach((pt, i) => {
    if (!Array.isArray(pt) || pt.length !== 2 || !pt.every((n) => typeof n === "number" && Number.isFinite(n) && n >= 0 && n <= 1)) {
      c.fail(`${path}/${i}`, `must be a point [x, y] with x and y between 0 and 1 (got ${JSON.stringify(pt)?.slice(0, 40)})`);
      ok = false;
      return;
    }
    points.push([pt[0] as number, pt[1] as number]);
  });
  if (!ok) return undefined;
  for (let i = 1; i < points.length; i++) {
    if ((points[i] as CurvePoint)[0] <= (points[i - 1] as CurvePoint)[0]) {
      c.fail(`${path}/${i}`, "x must increase from one point to the next");
      return undefined;
    }
  }
  if ((points[0] as CurvePoint)[0] !== 0 || (points[points.length - 1] as CurvePoint)[0] !== 1) {
    c.fail(path, "the first point's x must be 0 and the last point's x must be 1");
    return undefined;
  }
  return points;
}

function checkGeometry(c: Checker, value: unknown): RecipePatch["geometry"] {
  const g = c.object(value, "/geometry", ["rotate", "straighten", "flipHorizontal", "flipVertical", "crop"]);
  if (!g) return undefined;
  const out: NonNullable<RecipePatch["geometry"]> = {};
  if (g.rotate !== undefined) {
    if (!(ROTATIONS as readonly unknown[]).includes(g.rotate)) c.fail("/geometry/rotate", `must be one of ${ROTATIONS.join(", ")} (got ${describe(g.rotate)})`);
    else out.rotate = g.rotate as 0;
  }
  if (g.straighten !== undefined) out.straighten = c.number(g.straighten, "/geometry/straighten", STRAIGHTEN_PARAM);
  if (g.flipHorizontal !== undefined) out.flipHorizontal = c.boolean(g.flipHorizontal, "/geometry/flipHorizontal");
  if (g.flipVertical !== undefined) out.flipVertical = c.boolean(g.flipVertical, "/geometry/flipVertical");
  if (g.crop === null) out.crop = null;
  else if (g.crop !== undefined) {
    const k = c.object(g.crop, "/geometry/crop", ["aspect", "x", "y", "width", "height"]);
    if (k) {
      const aspect = k.aspect ?? "free";
      if (typeof aspect !== "string" || !Object.hasOwn(ASPECTS, aspect))
        c.fail("/geometry/crop/aspect", `must be one of ${Object.keys(ASPECTS).join(", ")} (got ${describe(aspect)})`);
      const unit = { min: 0, max: 1 };
      const x = k.x === undefined ? 0 : c.number(k.x, "/geometry/crop/x", unit);
      const y = k.y === undefined ? 0 : c.number(k.y, "/geometry/crop/y", unit);
      const width = k.width === undefined ? 1 : c.number(k.width, "/geometry/crop/width", { min: 0.01, max: 1 });
      const height = k.height === undefined ? 1 : c.number(k.height, "/geometry/crop/height", { min: 0.01, max: 1 });
      if (x !== undefined && width !== undefined && x + width > 1 + 1e-9)
        c.fail("/geometry/crop", `x + width must not pass the right edge (got ${x} + ${width})`);
      if (y !== undefined && height !== undefined && y + height > 1 + 1e-9)
        c.fail("/geometry/crop", `y + height must not pass the bottom edge (got ${y} + ${height})`);
      out.crop = { aspect: aspect as "free", x, y, width, height };
    }
  }
  return out;
}

function checkLocal(c: Checker, value: unknown): RecipePatch["local"] {
  if (!Array.isArray(value)) {
    c.fail("/local", `must be an array of local adjustments (got ${describe(value)})`);
    return undefined;
  }
  if (value.length > MAX_LOCAL_ADJUSTMENTS) {
    c.fail("/local", `may hold at most ${MAX_LOCAL_ADJUSTMENTS} local adjustments (got ${value.length})`);
    return undefined;
  }
  const out: NonNullable<RecipePatch["local"]> = [];
  value.forEach((item, i) => {
    const path = `/local/${i}`;
    const o = c.object(item, path, ["id", "name", "amount", "mask", "adjustments"]);
    if (!o) return;
    if (o.id !== undefined && (typeof o.id !== "string" || o.id.length < 1 || o.id.length > 64)) c.fail(`${path}/id`, "must be a string of 1 to 64 characters");
    if (o.name !== undefined && (typeof o.name !== "string" || o.name.length > 100)) c.fail(`${path}/name`, "must be a string of at most 100 characters");
    const amount = o.amount === undefined ? LOCAL_AMOUNT.default : c.number(o.amount, `${path}/amount`, LOCAL_AMOUNT);
    const adjustments = o.adjustments === undefined ? {} : c.params(o.adjustments, `${path}/adjustments`, LOCAL_PARAMS);
    const mask = checkMask(c, o.mask, `${path}/mask`);
    out.push({
      id: typeof o.id === "string" ? o.id : `local-${i + 1}`,
      name: typeof o.name === "string" ? o.name : `Mask ${i + 1}`,
      amount,
      mask,
      adjustments,
    } as NonNullable<RecipePatch["local"]>[number]);
  });
  return out;
}

function checkMask(c: Checker, value: unknown, path: string) {
  if (!isObject(value)) {
    c.fail(path, `must be a mask object with a type of linear, radial or extension (got ${describe(value)})`);
    return undefined;
  }
  const coord = { min: -2, max: 3 };
  switch (value.type) {
    case "linear": {
      const m = c.object(value, path, ["type", "x1", "y1", "x2", "y2", "invert"]);
      if (!m) return undefined;
      const [x1, y1, x2, y2] = (["x1", "y1", "x2", "y2"] as const).map((k) => c.number(m[k], `${path}/${k}`, coord));
      if (x1 !== undefined && x1 === x2 && y1 === y2) c.fail(path, "the start and end points of a linear gradient must differ");
      return { type: "linear", x1, y1, x2, y2, invert: m.invert === undefined ? false : c.boolean(m.invert, `${path}/invert`) };
    }
    case "radial": {
      const m = c.object(value, path, ["type", "cx", "cy", "rx", "ry", "angle", "feather", "invert"]);
      if (!m) return undefined;
      return {
        type: "radial",
        cx: c.number(m.cx, `${path}/cx`, coord),
        cy: c.number(m.cy, `${path}/cy`, coord),
        rx: c.number(m.rx, `${path}/rx`, { min: 0.001, max: 4 }),
        ry: c.number(m.ry, `${path}/ry`, { min: 0.001, max: 4 }),
        angle: m.angle === undefined ? 0 : c.number(m.angle, `${path}/angle`, { min: -180, max: 180 }),
        feather: m.feather === undefined ? RADIAL_FEATHER.default : c.number(m.feather, `${path}/feather`, RADIAL_FEATHER),
        invert: m.invert === undefined ? false : c.boolean(m.invert, `${path}/invert`),
      };
    }
    case "extension": {
      const m = c.object(value, path, ["type", "provider", "params", "invert"]);
      if (!m) return undefined;
      if (typeof m.provider !== "string" || !PROVIDER.test(m.provider)) {
        c.fail(`${path}/provider`, `must name a mask provider as "<plugin-id>/<name>" (see GET /masks; got ${describe(m.provider)})`);
      }
      const params = m.params === undefined ? {} : m.params;
      if (!isObject(params)) c.fail(`${path}/params`, "must be an object");
      else if (JSON.stringify(params).length > 4096) c.fail(`${path}/params`, "must be at most 4 KiB of JSON");
      return { type: "extension", provider: m.provider, params, invert: m.invert === undefined ? false : c.boolean(m.invert, `${path}/invert`) };
    }
    default:
      c.fail(`${path}/type`, `must be linear, radial or extension (got ${describe(value.type)})`);
      return undefined;
  }
}
