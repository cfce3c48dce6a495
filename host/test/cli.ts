import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const cliPath = path.join(repoRoot, "host/src/cli.ts");
const tsx = path.join(repoRoot, "node_modules/.bin/tsx");

/** Starts the CLI the way `npm run crealia` does (tsx, source condition). */
export function spawnCli(args: string[], options: { cwd: string; env?: Record<string, string> }): ChildProcess {
  const env: Record<string, string | undefined> = { ...process.env, LOG_LEVEL: "warn", ...options.env };
  for (const key of ["DATABASE_URL", "REDIS_URL", "S3_BUCKET", "S3_ENDPOINT", "CREALIA_SOURCE", "NODE_ENV"]) if (!(key in (options.env ?? {}))) delete env[key];
  return spawn(tsx, ["--conditions=source", cliPath, ...args], { cwd: options.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
}

export function runCli(
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawnCli(args, options);
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d) => (stdout += d));
    child.stderr?.on("data", (d) => (stderr += d));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}
