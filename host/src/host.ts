import { existsSync } from "node:fs";
import path from "node:path";
import { type DiscoveryResult, discoverPlugins, Kernel, type KernelConfig, type KernelOptions } from "@crealia/kernel";
import { registerStudio } from "./studio.js";

/** Where plugins are looked for: the workspace's `plugins/` and each configured plugin folder. */
export function pluginRoots(config: KernelConfig, cwd = process.cwd()): string[] {
  const workspace = path.resolve(cwd, "plugins");
  return [...(existsSync(workspace) ? [workspace] : []), ...config.pluginDirs];
}

export function discover(config: KernelConfig, cwd = process.cwd()): DiscoveryResult {
  return discoverPlugins(pluginRoots(config, cwd));
}

/** Composes the kernel with the installed plugins. */
export async function createHost(config: KernelConfig, options: Partial<KernelOptions> = {}): Promise<Kernel> {
  return Kernel.create({ config, plugins: discover(config), hostRoutes: registerStudio, ...options });
}

/** Stops the kernel once on SIGINT/SIGTERM; a second signal exits at once. */
export function stopOnSignals(kernel: Kernel) {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    kernel.log.info({ signal }, "shutting down: no new work, draining running jobs");
    kernel
      .stop()
      .then(() => process.exit(0))
      .catch((err) => {
        kernel.log.error({ err }, "shutdown failed");
        process.exit(1);
      });
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
}
