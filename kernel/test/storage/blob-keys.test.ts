import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, describe, expect, test } from "vitest";
import type { KernelServices } from "../../src/plugins/plugin-context.js";
import { createPluginContext } from "../../src/plugins/plugin-context.js";
import type { PluginManifest } from "../../src/sdk/manifest.js";
import { scopedKey } from "../../src/storage/blob-keys.js";
import { LocalBlobStore } from "../../src/storage/local-blob-store.js";
import { BAD_KEYS, codeOf, readAll } from "./blob-store.contract.js";

const TENANT = "0b7c3f1e-8d2a-4c5b-9e6f-1a2b3c4d5e6f";

describe("blob keys", () => {
  test("scopedKey joins safe relative keys under the prefix", () => {
    expect(scopedKey("tenants/t/plugins/p", "assets/a1/original.jpg")).toBe("tenants/t/plugins/p/assets/a1/original.jpg");
    expect(scopedKey("tenants/t/plugins/p", "v.2_final-cut")).toBe("tenants/t/plugins/p/v.2_final-cut");
  });

  test("scopedKey refuses traversal, absolute paths, empty segments, backslashes and URL-encoded traversal", () => {
    for (const bad of BAD_KEYS) {
      let code = "accepted";
      try {
        scopedKey("tenants/t/plugins/p", bad);
      } catch (err) {
        code = (err as { code: string }).code;
      }
      expect(`${JSON.stringify(bad)}: ${code}`).toBe(`${JSON.stringify(bad)}: KERNEL_BLOB_KEY_INVALID`);
    }
  });
});

describe("ctx.storage", () => {
  // The store sits one level down, so a key that escaped it would show up in `outer`.
  const outer = mkdtempSync(path.join(os.tmpdir(), "crealia-ctx-storage-"));
  const blobs = new LocalBlobStore(path.join(outer, "blobs"));
  const manifest = { id: "keys-test", version: "1.0.0", kernel: "^1.0.0", permissions: ["storage.write"] } as PluginManifest;
  const services = { blobs, log: pino({ level: "silent" }) } as unknown as KernelServices;
  const { ctx } = createPluginContext(manifest, "plugin_keys_test", "plugin_keys_test", services);
  afterAll(() => rmSync(outer, { recursive: true, force: true }));

  test("keys land under tenants/<tenant>/plugins/<id>/", async () => {
    await ctx.storage.put(TENANT, "a/b.txt", Buffer.from("hi"), { contentType: "text/plain" });
    expect(await blobs.exists(`tenants/${TENANT}/plugins/keys-test/a/b.txt`)).toBe(true);
    expect((await ctx.storage.getBuffer(TENANT, "a/b.txt")).toString()).toBe("hi");
    expect((await ctx.storage.list(TENANT)).map((b) => b.key)).toEqual(["a/b.txt"]);
    expect((await readAll(await ctx.storage.get(TENANT, "a/b.txt"))).toString()).toBe("hi");
  });

  test("keys that could escape the plugin's prefix are refused by every method", async () => {
    for (const bad of BAD_KEYS) {
      const calls: [string, () => Promise<unknown>][] = [
        ["put", () => ctx.storage.put(TENANT, bad, Buffer.from("x"))],
        ["get", () => ctx.storage.get(TENANT, bad)],
        ["getBuffer", () => ctx.storage.getBuffer(TENANT, bad)],
        ["exists", () => ctx.storage.exists(TENANT, bad)],
        ["delete", () => ctx.storage.delete(TENANT, bad)],
      ];
      if (bad !== "") calls.push(["list", () => ctx.storage.list(TENANT, bad)]);
      for (const [method, call] of calls) {
        expect(`${method}(${JSON.stringify(bad)}): ${await codeOf(call())}`).toBe(`${method}(${JSON.stringify(bad)}): KERNEL_BLOB_KEY_INVALID`);
      }
    }
    expect(readdirSync(outer)).toEqual(["blobs"]);
  });

  test("a tenant id that is not one is refused before any key is built", async () => {
    expect(await codeOf(ctx.storage.put("../other-tenant", "a", Buffer.from("x")))).toBe("KERNEL_VALIDATION");
  });
});
