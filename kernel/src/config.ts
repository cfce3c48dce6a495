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
  };
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
