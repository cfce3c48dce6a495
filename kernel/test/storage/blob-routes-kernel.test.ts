import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadConfig } from "../../src/config.js";
import { type Database, openDatabase } from "../../src/db/database.js";
import { Kernel } from "../../src/kernel.js";
import { createLogger } from "../../src/logger.js";
import { createBlobStore } from "../../src/storage/create-blob-store.js";

/** The blob routes inside a real kernel whose identity resolver refuses everyone: the URL's signature is all that counts. */
describe("blob routes in the kernel", () => {
  let home: string;
  let database: Database;
  let kernel: Kernel;
  const config = () => loadConfig({ CREALIA_HOME: home, LOG_LEVEL: "silent" }, home);

  beforeAll(async () => {
    home = mkdtempSync(path.join(os.tmpdir(), "crealia-blob-kernel-"));
    database = await openDatabase({ url: null, dataDir: null });
    kernel = await Kernel.create({
      config: config(),
      plugins: { plugins: [], invalid: [] },
      database,
      logger: createLogger("silent"),
      identity: () => ({ resolve: async () => null }),
    });
    await kernel.start();
  });
  afterAll(async () => {
    await kernel?.stop({ closeDatabase: false });
    await database?.close();
    rmSync(home, { recursive: true, force: true });
  });

  test("other /api/ routes need an identity", async () => {
    expect((await kernel.app.inject({ url: "/api/kernel/plugins" })).statusCode).toBe(401);
  });

  test("presigned PUT and GET work without one, with URLs made by another store on the same home (another process)", async () => {
    const other = createBlobStore(config());
    const put = await other.presignPut("tenants/t/plugins/p/doc.txt", { expiresIn: 60, contentType: "text/plain" });
    const stored = await kernel.app.inject({ method: "PUT", url: put.url, headers: put.headers, payload: "signed, not signed in" });
    expect(stored.statusCode).toBe(200);
    const got = await kernel.app.inject({ url: await other.presignGet("tenants/t/plugins/p/doc.txt", { expiresIn: 60 }) });
    expect(got.statusCode).toBe(200);
    expect(got.body).toBe("signed, not signed in");
    expect(got.headers["content-type"]).toBe("text/plain");
  });

  test("a bad token is refused with a coded 403, not a 401", async () => {
    const res = await kernel.app.inject({ url: "/api/blobs/not-a-token" });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe("KERNEL_BLOB_URL_INVALID");
  });
});
