import type { KernelConfig } from "@crealia/kernel";
import { createHost, stopOnSignals } from "../host.js";
import { printPluginTable } from "./plugins-list.js";

/** `crealia start`: HTTP server and job workers in one process. */
export async function startCommand(config: KernelConfig) {
  const kernel = await createHost(config, { mode: "all" });
  stopOnSignals(kernel);
  await kernel.start();
  const address = await kernel.listen();
  const failed = kernel.plugins().filter((p) => p.state === "failed");
  if (failed.length) printPluginTable(failed, process.stderr);
  kernel.log.info(
    { address, database: kernel.database.kind, jobs: kernel.jobs.transport.kind },
    `Crealia is up at ${address} (studio /, API docs /api/docs, GraphQL /graphql)`,
  );
}

/** `crealia worker --queues a,b`: job workers only, no HTTP server. */
export async function workerCommand(config: KernelConfig, queues: string[] | undefined) {
  const kernel = await createHost(config, { mode: "worker", queues });
  stopOnSignals(kernel);
  await kernel.start();
  kernel.log.info({ queues: queues ?? "all", jobs: kernel.jobs.transport.kind }, "worker started");
}

/** `crealia migrate`: kernel and plugin migrations, then exit. */
export async function migrateCommand(config: KernelConfig) {
  const kernel = await createHost(config, { mode: "migrate", queues: [] });
  await kernel.start();
  printPluginTable(kernel.plugins(), process.stdout);
  await kernel.stop();
  return kernel.plugins().some((p) => p.state === "failed") ? 1 : 0;
}
