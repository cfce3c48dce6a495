import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { BlobInfo } from "../sdk/context.js";
import type { BlobStore } from "./blob-store.js";

/** Blobs as files under one folder; writes land in a temp file first so a reader never sees half a blob. */
export class LocalBlobStore implements BlobStore {
  readonly kind = "local" as const;
  constructor(private readonly root: string) {}

  private file(key: string): string {
    const full = path.resolve(this.root, key);
    if (!full.startsWith(path.resolve(this.root) + path.sep)) throw new Error(`blob key "${key}" escapes the store`);
    return full;
  }

  async put(key: string, body: Buffer | Uint8Array | NodeJS.ReadableStream, options?: { contentType?: string }): Promise<BlobInfo> {
    const file = this.file(key);
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${Date.now()}.part`;
    try {
      if (Buffer.isBuffer(body) || body instanceof Uint8Array) await writeFile(tmp, body);
      else await pipeline(body as Readable, createWriteStream(tmp));
      const { rename } = await import("node:fs/promises");
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    if (options?.contentType) await writeFile(`${file}.meta.json`, JSON.stringify({ contentType: options.contentType }));
    return { key, size: (await stat(file)).size, contentType: options?.contentType };
  }

  async get(key: string): Promise<NodeJS.ReadableStream> {
    const file = this.file(key);
    await stat(file); // throws ENOENT before a stream is handed out
    return createReadStream(file);
  }

  async exists(key: string): Promise<boolean> {
    return stat(this.file(key)).then(
      () => true,
      () => false,
    );
  }

  async delete(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
    await rm(`${this.file(key)}.meta.json`, { force: true });
  }

  async list(prefix: string): Promise<BlobInfo[]> {
    const dir = this.file(prefix);
    const out: BlobInfo[] = [];
    const walk = async (d: string) => {
      const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        const full = path.join(d, e.name);
        if (e.isDirectory()) await walk(full);
        else if (!e.name.endsWith(".meta.json") && !e.name.endsWith(".part")) {
          out.push({ key: path.relative(this.root, full).split(path.sep).join("/"), size: (await stat(full)).size });
        }
      }
    };
    await walk(dir);
    return out.sort((a, b) => a.key.localeCompare(b.key));
  }
}

export { Readable };
