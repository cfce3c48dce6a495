import { randomUUID } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { kernelError } from "../errors.js";
import type { AssetInfo, PluginAssets } from "../sdk/context.js";
import type { PluginManifest } from "../sdk/manifest.js";
import type { AssetService } from "./asset-service.js";
import type { Asset } from "./asset-types.js";
import { sanitizeFileName } from "./file-name.js";

function info(a: Asset): AssetInfo {
  return {
    id: a.id,
    kind: a.kind,
    name: a.name,
    status: a.status,
    currentVersion: a.currentVersion,
    mime: a.version?.mime ?? null,
    width: a.version?.width ?? null,
    height: a.version?.height ?? null,
    durationMs: a.version?.durationMs ?? null,
    tags: a.tags,
    files: Object.keys(a.version?.derivatives ?? {}),
    metadata: a.version?.metadata ?? {},
  };
}

/** `ctx.assets`: the asset service seen through one plugin's manifest permissions. */
export function createPluginAssets(manifest: PluginManifest, assets: () => AssetService): PluginAssets {
  const need = (permission: "asset.read" | "asset.write") => {
    const granted = manifest.permissions ?? [];
    if (!granted.includes(permission) && !(permission === "asset.read" && granted.includes("asset.write"))) {
      throw kernelError("KERNEL_CAPABILITY_DENIED", `${manifest.id} cannot use assets this way: its manifest does not ask for "${permission}"`);
    }
  };
  // A plugin's keys cannot collide with another plugin's: the kernel prefixes them.
  const scopedKey = (key: string | undefined) => {
    if (key === undefined) return undefined;
    if (typeof key !== "string" || key.length === 0 || key.length > 200)
      throw kernelError("KERNEL_VALIDATION", "idempotencyKey must be a string of 1 to 200 characters");
    return `${manifest.id}:${key}`;
  };
  // Bytes from a plugin go through the same validation as uploads, from a temp file.
  const withFile = async <T>(file: string | Buffer, fn: (file: { path: string }) => Promise<T>): Promise<T> => {
    if (typeof file === "string") return fn({ path: file });
    const dir = assets().tmpDir;
    await mkdir(dir, { recursive: true });
    const tmp = path.join(dir, `plugin-${manifest.id}-${randomUUID()}`);
    await writeFile(tmp, file);
    try {
      return await fn({ path: tmp });
    } finally {
      await rm(tmp, { force: true });
    }
  };
  return {
    async get(tenantId, assetId) {
      need("asset.read");
      const a = await assets().store.get(tenantId, assetId);
      return a ? info(a) : null;
    },
    async open(tenantId, assetId, options) {
      need("asset.read");
      return assets().openFile(tenantId, assetId, options?.file ?? "original", options?.version);
    },
    async addVersion(tenantId, assetId, file, options) {
      need("asset.write");
      const idempotencyKey = scopedKey(options?.idempotencyKey);
      const { version, job } = await withFile(file, (f) =>
        assets().addVersion(tenantId, options?.userId ?? null, assetId, f, `edit:${manifest.id}`, { idempotencyKey }),
      );
      return { version, jobId: job.id };
    },
    async create(tenantId, file, options) {
      need("asset.write");
      const { asset, job } = await withFile(file, (f) =>
        assets().create(tenantId, options.userId ?? null, f, {
          name: sanitizeFileName(options.name),
          tags: options.tags,
          idempotencyKey: scopedKey(options.idempotencyKey),
        }),
      );
      return { assetId: asset.id, jobId: job.id };
    },
  };
}
