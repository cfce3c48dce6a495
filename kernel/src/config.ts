import path from "node:path";
import { kernelError } from "./errors.js";

export interface KernelConfig {
  /** Folder for embedded data (PGlite database, local blobs). */
  home: string;
  port: number;
  host: string;
  /** Postgres URL; absent means embedded PGlite under `<home>/db`. */
  databaseUrl: string | null;
  /** Redis URL; absent means in-process jobs and events. */
  redisUrl: string | null;
  s3: { bucket: string; endpoint: string | null; region: string; accessKeyId: string | null; secretAccessKey: string | null; forcePathStyle: boolean } | null;
  /** Folder of blobs when S3 is not configured. */
  blobsDir: string;
  /** Extra folders holding installed plugin packages (each subfolder one package). */
  pluginDirs: string[];
  logLevel: string;
  /** Folder of model manifests (CREALIA_MODELS_DIR); null: the workspace's `models/manifests`. */
  modelsDir: string | null;
  /** Where fetched model files are kept: `<home>/models`. */
  modelCacheDir: string;
  /** GPUs as `index:MiB,…` or `none` (CREALIA_GPUS); null: ask nvidia-smi. */
  gpus: string | null;
  /** Warm model sessions' memory budget per device in MiB (CREALIA_MODEL_CACHE_MB); null: the default. */
  modelCacheMb: number | null;
  /** Signs local-disk presigned blob URLs (CREALIA_SECRET); null means a random one kept in `<home>/secret` (see kernel-secret.ts). */
  secret: string | null;
  /**
   * Who callers are (CREALIA_AUTH): `local` (default) is single-user local mode, every request the
   * owner of the default tenant; `accounts` needs sign-in (sessions, access tokens, API keys).
   */
  auth: "local" | "accounts";
  /** Origin clients reach the kernel at (CREALIA_PUBLIC_URL), for absolute local presigned URLs; null gives kernel-relative ones. */
  publicUrl: string | null;
  /** Largest upload accepted, in bytes (CREALIA_MAX_UPLOAD_BYTES, default 2 GiB). */
  maxUploadBytes: number;
  /** Largest image accepted, in pixels (CREALIA_MAX_PIXELS, default 200 MP): the decompression-bomb guard. */
  maxPixels: number;
  /** Direct uploads bigger than this go in resumable parts (CREALIA_UPLOAD_RESUMABLE_ABOVE, default 64 MiB). */
  uploadResumableAbove: number;
  /** Part size of resumable uploads (CREALIA_UPLOAD_PART_BYTES, default 16 MiB; S3 needs at least 5 MiB). */
  uploadPartBytes: number;
}

type Env = Record<string, string | undefined>;

/** Reads and validates the environment. Every problem is reported at once, in words. */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): KernelConfig {
  const problems: string[] = [];
  const home = path.resolve(cwd, env.CREALIA_HOME || ".crealia");

  const port = parsePort(env.PORT ?? "3000", problems);
  const databaseUrl = optionalUrl("DATABASE_URL", env.DATABASE_URL, ["postgres:", "postgresql:"], problems);
  const redisUrl = optionalUrl("REDIS_URL", env.REDIS_URL, ["redis:", "rediss:"], problems);

  let s3: KernelConfig["s3"] = null;
  if (env.S3_BUCKET) {
    const endpoint = optionalUrl("S3_ENDPOINT", env.S3_ENDPOINT, ["http:", "https:"], problems);
    if (Boolean(env.S3_ACCESS_KEY_ID) !== Boolean(env.S3_SECRET_ACCESS_KEY)) {
      problems.push("S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together");
    }
    s3 = {
      bucket: env.S3_BUCKET,
      endpoint,
      region: env.S3_REGION || "us-east-1",
      accessKeyId: env.S3_ACCESS_KEY_ID || null,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY || null,
      forcePathStyle: env.S3_FORCE_PATH_STYLE ? env.S3_FORCE_PATH_STYLE === "true" : Boolean(endpoint),
    };
  } else if (env.S3_ENDPOINT) {
    problems.push("S3_ENDPOINT is set but S3_BUCKET is not: set S3_BUCKET to use S3, or unset S3_ENDPOINT for local disk");
  }

  const logLevel = env.LOG_LEVEL || "info";
  if (!["fatal", "error", "warn", "info", "debug", "trace", "silent"].includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "${logLevel}")`);
  }

  const maxUploadBytes = positiveInt("CREALIA_MAX_UPLOAD_BYTES", env.CREALIA_MAX_UPLOAD_BYTES, 2 * 1024 ** 3, problems);
  const maxPixels = positiveInt("CREALIA_MAX_PIXELS", env.CREALIA_MAX_PIXELS, 200_000_000, problems);
  const uploadResumableAbove = positiveInt("CREALIA_UPLOAD_RESUMABLE_ABOVE", env.CREALIA_UPLOAD_RESUMABLE_ABOVE, 64 * 1024 ** 2, problems);
  const uploadPartBytes = positiveInt("CREALIA_UPLOAD_PART_BYTES", env.CREALIA_UPLOAD_PART_BYTES, 16 * 1024 ** 2, problems);
  if (uploadPartBytes < 5 * 1024 ** 2) problems.push(`CREALIA_UPLOAD_PART_BYTES must be at least 5242880 (5 MiB, S3's smallest part; got ${uploadPartBytes})`);

  const secret = env.CREALIA_SECRET || null;
  if (secret !== null && secret.length < 32) problems.push("CREALIA_SECRET must have at least 32 characters (e.g. `openssl rand -hex 32`)");
  const auth = (env.CREALIA_AUTH || "local") as KernelConfig["auth"];
  if (auth !== "local" && auth !== "accounts") problems.push(`CREALIA_AUTH must be "local" or "accounts" (got "${env.CREALIA_AUTH}")`);
  const publicUrl = optionalUrl("CREALIA_PUBLIC_URL", env.CREALIA_PUBLIC_URL, ["http:", "https:"], problems)?.replace(/\/$/, "") ?? null;

  const gpus = env.CREALIA_GPUS?.trim() || null;
  if (gpus && gpus !== "none" && !/^\s*\d+\s*:\s*\d+\s*(,\s*\d+\s*:\s*\d+\s*)*$/.test(gpus)) {
    problems.push(`CREALIA_GPUS must look like "0:24576,1:24576" (index:MiB) or be "none" (got "${gpus}")`);
  }
  const modelCacheMb = env.CREALIA_MODEL_CACHE_MB ? positiveInt("CREALIA_MODEL_CACHE_MB", env.CREALIA_MODEL_CACHE_MB, 0, problems) : null;

  if (problems.length > 0) {
    throw kernelError("KERNEL_CONFIG_INVALID", `Invalid configuration:\n  - ${problems.join("\n  - ")}`, { problems });
  }
  return {
    home,
    port,
    host: env.HOST || "127.0.0.1",
    databaseUrl,
    redisUrl,
    s3,
    blobsDir: path.join(home, "blobs"),
    pluginDirs: (env.CREALIA_PLUGIN_DIRS || "")
      .split(path.delimiter)
      .filter(Boolean)
      .map((dir) => path.resolve(cwd, dir)),
    logLevel,
    modelsDir: env.CREALIA_MODELS_DIR ? path.resolve(cwd, env.CREALIA_MODELS_DIR) : null,
    modelCacheDir: path.join(home, "models"),
    gpus,
    modelCacheMb,
    secret,
    auth,
    publicUrl,
    maxUploadBytes,
    maxPixels,
    uploadResumableAbove,
    uploadPartBytes,
  };
}

function positiveInt(name: string, raw: string | undefined, fallback: number, problems: string[]): number {
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) <= 0) {
    problems.push(`${name} must be a positive whole number (got "${raw}")`);
    return fallback;
  }
  return Number(raw);
}

function parsePort(raw: string, problems: string[]): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > 65535) {
    problems.push(`PORT must be a whole number from 0 to 65535 (got "${raw}")`);
    return 0;
  }
  return port;
}

function optionalUrl(name: string, raw: string | undefined, protocols: string[], problems: string[]): string | null {
  if (!raw) return null;
  try {
    const url = new URL(raw);
    if (!protocols.includes(url.protocol)) {
      problems.push(`${name} must start with ${protocols.map((p) => `${p}//`).join(" or ")} (got "${url.protocol}//…")`);
    }
    return raw;
  } catch {
    problems.push(`${name} is not a valid URL`);
    return null;
  }
}
