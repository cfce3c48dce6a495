import { createModelStore, type DeviceReport, discoverDevices, type KernelConfig, type ModelStatus } from "@crealia/kernel";
import { isCrealiaError } from "@crealia/kernel/sdk";

function table(rows: string[][], out: NodeJS.WritableStream) {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number))).join("  ");
  out.write(`${rows.map((r) => line(r).trimEnd()).join("\n")}\n`);
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function describeDevices(report: DeviceReport): string {
  const devices = report.devices.map((d) => (d.kind === "gpu" ? `${d.id} (${d.memoryMb} MiB)` : d.id)).join(", ");
  const providers = report.providers.map((p) => (p.available ? p.name : `${p.name} (not installed)`)).join(", ");
  return [`Devices: ${devices}`, `ONNX Runtime execution providers: ${providers}`, ...report.warnings.map((w) => `Warning: ${w}`), ""].join("\n") + "\n";
}

/** `crealia models list`: this machine's devices, every manifest, whether its file is installed (and valid), and the manifests left out. */
export async function modelsListCommand(config: KernelConfig, json: boolean): Promise<number> {
  const store = createModelStore(config);
  const models = store.registry.list();
  const statuses: ModelStatus[] = [];
  for (const m of models) statuses.push(await store.status(m.manifest.id));
  const devices = await discoverDevices({ gpus: config.gpus });
  if (json) {
    const rows = models.map((m, i) => ({ ...m.manifest, state: statuses[i]?.state, path: statuses[i]?.path, problem: statuses[i]?.problem }));
    process.stdout.write(
      `${JSON.stringify({ manifestsDir: store.registry.dir, cacheDir: store.cacheDir, devices, models: rows, invalid: store.registry.invalid }, null, 2)}\n`,
    );
  } else {
    process.stdout.write(describeDevices(devices));
    if (!store.registry.dir) process.stdout.write("No model manifests folder found (set CREALIA_MODELS_DIR).\n");
    const rows = models.map((m, i) => {
      const s = m.manifest.source;
      const source = s.kind === "npm" ? `npm ${s.package}@${s.version}` : s.kind === "https" ? s.url : s.kind === "s3" ? `s3 ${s.key}` : `local ${s.path}`;
      const status = statuses[i] as ModelStatus;
      return [
        m.manifest.id,
        m.manifest.version,
        m.manifest.task,
        m.manifest.license,
        // A multi-file model (tfjs graph + weight shards) takes the room of all its files.
        megabytes(m.manifest.size + (m.manifest.files ?? []).reduce((sum, f) => sum + f.size, 0)),
        status.problem ? `${status.state} (${status.problem})` : status.state,
        source,
      ];
    });
    table([["MODEL", "VERSION", "TASK", "LICENSE", "SIZE", "STATE", "SOURCE"], ...rows], process.stdout);
    for (const bad of store.registry.invalid) process.stdout.write(`left out: ${bad.file}: ${bad.problems.join("; ")}\n`);
  }
  return store.registry.invalid.length > 0 ? 1 : 0;
}

/** `crealia models fetch [id] [--force]`: resolves each model (or the one named) into the cache and verifies its sha256. */
export async function modelsFetchCommand(config: KernelConfig, named: string[], force: boolean): Promise<number> {
  const store = createModelStore(config, { log: (message) => process.stderr.write(`${message}\n`) });
  const ids = named.length > 0 ? named : store.registry.list().map((m) => m.manifest.id);
  if (ids.length === 0) {
    process.stderr.write(`No model manifests in ${store.registry.dir ?? "(no manifests folder: set CREALIA_MODELS_DIR)"}.\n`);
    return 1;
  }
  let failed = 0;
  for (const modelId of ids) {
    try {
      const { manifest } = store.registry.get(modelId);
      const result = await store.fetch(modelId, { force });
      process.stdout.write(
        `${modelId} ${manifest.version}: ${result.fetched ? "fetched" : "already installed"}, sha256 ${manifest.sha256} (${manifest.license}) → ${result.path}\n`,
      );
    } catch (err) {
      failed += 1;
      process.stderr.write(`${modelId}: ${isCrealiaError(err) ? `${err.code}: ${err.message}` : (err as Error).message}\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}
