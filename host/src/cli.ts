import { parseArgs } from "node:util";
import { type KernelConfig, loadConfig } from "@crealia/kernel";
import { modelsFetchCommand, modelsListCommand } from "./commands/models.js";
import { pluginNewCommand } from "./commands/plugin-new.js";
import { pluginsListCommand } from "./commands/plugins-list.js";
import { migrateCommand, startCommand, workerCommand } from "./commands/start.js";

const USAGE = `Usage: crealia <command>

Commands:
  start                    server and job workers in one process
  worker [--queues a,b]    job workers only (queues: plugin ids or job types; all when omitted)
  migrate                  run kernel and plugin migrations, then exit
  plugins list [--json]    each installed plugin's state, and the reason for one left out
  plugin new <id>          scaffold a plugin under plugins/<id>
  models list [--json]     this machine's devices; each model, its licence and whether it is installed
  models fetch [id...] [--force]
                           fetch models (all when none is named) into the cache and verify their sha256;
                           nothing downloads a model at run time

Configuration comes from the environment: PORT, HOST, DATABASE_URL (else PGlite in ./.crealia/db),
REDIS_URL (else in-process jobs), S3_BUCKET/S3_ENDPOINT/S3_REGION/S3_ACCESS_KEY_ID/S3_SECRET_ACCESS_KEY
(else ./.crealia/blobs), CREALIA_HOME, CREALIA_PLUGIN_DIRS, LOG_LEVEL; for models CREALIA_MODELS_DIR
(else ./models/manifests), CREALIA_GPUS ("0:24576,1:24576" or "none"; else nvidia-smi), CREALIA_MODEL_CACHE_MB.
`;

function config(): KernelConfig {
  try {
    return loadConfig();
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { queues: { type: "string" }, json: { type: "boolean" }, force: { type: "boolean" }, help: { type: "boolean", short: "h" } },
  });
  const [command, sub, arg] = positionals;
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  switch (command) {
    case "start":
      await startCommand(config());
      return -1;
    case "worker":
      await workerCommand(
        config(),
        values.queues
          ?.split(",")
          .map((q) => q.trim())
          .filter(Boolean),
      );
      return -1;
    case "migrate":
      return migrateCommand(config());
    case "plugins":
      if (sub === "list") return pluginsListCommand(config(), Boolean(values.json));
      break;
    case "plugin":
      if (sub === "new" && arg) return pluginNewCommand(arg);
      break;
    case "models":
      if (sub === "list") return modelsListCommand(config(), Boolean(values.json));
      if (sub === "fetch") return modelsFetchCommand(config(), positionals.slice(2), Boolean(values.force));
      break;
  }
  process.stderr.write(`Unknown command "${positionals.join(" ")}".\n\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    // -1: a long-running command; the process lives until a signal stops it.
    if (code >= 0) process.exit(code);
  },
  (err) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
