import type { KernelConfig, PluginStatus } from "@crealia/kernel";
import { createLogger, Kernel } from "@crealia/kernel";
import { discover } from "../host.js";

export function printPluginTable(plugins: PluginStatus[], out: NodeJS.WritableStream) {
  const rows = plugins.map((p) => [p.id, p.version, p.state, p.reason ? `${p.phase}: ${p.reason}` : ""]);
  const header = ["PLUGIN", "VERSION", "STATE", "REASON"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => `${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number))).join("  ")}`.trimEnd();
  out.write(`${[line(header), ...rows.map(line)].join("\n")}\n`);
}

/**
 * `crealia plugins list`: resolves and starts the installed set against the configured database
 * (migrations included, no HTTP, no workers), prints each plugin's state and why one is left out.
 */
export async function pluginsListCommand(config: KernelConfig, json: boolean) {
  const kernel = await Kernel.create({ config, plugins: discover(config), mode: "migrate", queues: [], logger: createLogger("silent") });
  await kernel.start();
  const plugins = kernel.plugins();
  await kernel.stop();
  if (json)
    process.stdout.write(
      `${JSON.stringify(
        plugins.map(({ dir: _d, ...p }) => p),
        null,
        2,
      )}\n`,
    );
  else printPluginTable(plugins, process.stdout);
  return plugins.some((p) => p.state === "failed") ? 1 : 0;
}
