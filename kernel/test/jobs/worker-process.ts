/**
 * A job worker as its own process, for the SIGKILL test: `node --conditions=source --import tsx
 * kernel/test/jobs/worker-process.ts` with DATABASE_URL, REDIS_URL, QUEUE_PREFIX, CREALIA_HOME and
 * JOB_TIMINGS (JSON) in the environment. Prints "ready" once it takes jobs.
 */
import { loadConfig } from "../../src/config.js";
import { Kernel } from "../../src/kernel.js";
import { createLogger } from "../../src/logger.js";
import { type DiscoveredPlugin, readPluginPackage } from "../../src/plugins/discovery.js";
import { fixture } from "../fixtures.js";

const env = process.env;
const home = env.CREALIA_HOME as string;
const config = loadConfig({ CREALIA_HOME: home, LOG_LEVEL: "silent", DATABASE_URL: env.DATABASE_URL, REDIS_URL: env.REDIS_URL }, home);
const kernel = await Kernel.create({
  config,
  plugins: { plugins: [readPluginPackage(fixture("jobs")) as DiscoveredPlugin], invalid: [] },
  mode: "worker",
  queues: ["fixture-jobs"],
  logger: createLogger(env.WORKER_LOG_LEVEL ?? "silent"),
  queuePrefix: env.QUEUE_PREFIX,
  jobs: JSON.parse(env.JOB_TIMINGS ?? "{}"),
});
await kernel.start();
process.on("SIGTERM", () => {
  kernel.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
process.stdout.write("ready\n");
