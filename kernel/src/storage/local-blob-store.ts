import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { copyFile, mkdir, open, readdir, readFile, rename, rm, rmdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { kernelError } from "../errors.js";
import type { BlobInfo } from "../sdk/context.js";
import { checkPresignPut, checkPutOptions, expiry, resolveRange } from "./blob-checks.js";
import { type BlobGrant, BlobGrantSigner } from "./blob-grant.js";
import { assertBlobKey, assertBlobPrefix } from "./blob-keys.js";
import type { BlobBody, BlobStat, BlobStore, ByteRange, PresignedRequest, PresignGetOptions, PresignPutOptions, PutOptions, StoredBlob } from "./blob-store.js";
import { ByteMeter, toReadable } from "./byte-meter.js";
import { LocalMultipart } from "./local-multipart.js";

export interface LocalBlobStoreOptions {
  /** Signs presigned URLs; a random one (URLs die with the process) when absent. */
  secret?: string;
  /** Origin the kernel is reached at, e.g. `https://crealia.example`; "" gives URLs relative to the kernel. */
  publicBaseUrl?: string;
}

interface BlobMeta {
  contentType: string;
  etag: string;
}

const DATA = "@blob";
const META = "@meta.json";
const DEFAULT_TYPE = "application/octet-stream";

/**
 * Blobs as files under one folder. Each key is a directory (`objects/<key>/`) holding `@blob` and
 * `@meta.json`, so `a` and `a/b` can both exist as on S3 ("@" never appears in a key). Every write
 * goes to `tmp/` first and is renamed into place: a body cut off half-way leaves nothing behind.
 */
export class LocalBlobStore implements BlobStore {
  readonly kind = "local" as const;
  private readonly objects: string;
  private readonly tmp: string;
  private readonly signer: BlobGrantSigner;
  private readonly baseUrl: string;
  private readonly multipart: LocalMultipart;

  constructor(
    readonly root: string,
    options: LocalBlobStoreOptions = {},
  ) {
    this.objects = path.resolve(root, "objects");
    this.tmp = path.resolve(root, "tmp");
    this.signer = new BlobGrantSigner(options.secret ?? randomBytes(32).toString("hex"));
    this.baseUrl = (options.publicBaseUrl ?? "").replace(/\/$/, "");
    this.multipart = new LocalMultipart(path.resolve(root, "uploads"), this);
  }

  /** The folder of a key; checked twice (segments, then the resolved path) so no key can leave `objects/`. */
  private dir(key: string): string {
    const full = path.resolve(this.objects, ...assertBlobKey(key).split("/"));
    if (!full.startsWith(this.objects + path.sep)) throw kernelError("KERNEL_BLOB_KEY_INVALID", `blob key "${key}" escapes the store`);
    return full;
  }

  /** A fresh temp file path on the same disk as `objects/`, so the final rename is atomic. */
  async tempFile(): Promise<string> {
    await mkdir(this.tmp, { recursive: true });
    return path.join(this.tmp, randomBytes(12).toString("hex"));
  }

  /** Moves a finished temp file into place as `key`; the metadata lands first, then the bytes. */
  async commit(key: string, tmpFile: string, meta: BlobMeta): Promise<void> {
    const dir = this.dir(key);
    const metaTmp = await this.tempFile();
    await writeFile(metaTmp, JSON.stringify(meta));
    for (let attempt = 0; ; attempt++) {
      await mkdir(dir, { recursive: true });
      try {
        await rename(metaTmp, path.join(dir, META));
        await rename(tmpFile, path.join(dir, DATA));
        return;
      } catch (err) {
        // A concurrent delete may prune the empty folder between mkdir and rename: once more.
        if ((err as NodeJS.ErrnoException).code !== "ENOENT" || attempt > 0) {
          await rm(metaTmp, { force: true });
          throw err;
        }
      }
    }
  }

  /** Streams `body` into a temp file, then runs `finish` with it; the temp file is gone either way. */
  async writeTemp<T>(body: BlobBody, meter: ByteMeter, finish: (tmpFile: string) => Promise<T>): Promise<T> {
    const tmpFile = await this.tempFile();
    const out = createWriteStream(tmpFile);
    try {
      await pipeline(toReadable(body), meter, out);
      return await finish(tmpFile);
    } finally {
      // A failed pipeline can settle before the file is even opened; removing it earlier would race the open.
      if (!out.closed) await once(out, "close").catch(() => {});
      await rm(tmpFile, { force: true });
    }
  }

  async put(key: string, body: BlobBody, options: PutOptions = {}): Promise<StoredBlob> {
    this.dir(key); // refuses a bad key before a byte is read
    checkPutOptions(options);
    const contentType = options.contentType || DEFAULT_TYPE;
    const meter = new ByteMeter({ contentLength: options.contentLength, maxBytes: options.maxBytes, md5: true });
    return this.writeTemp(body, meter, async (tmpFile) => {
      const etag = meter.md5();
      await this.commit(key, tmpFile, { contentType, etag });
      return { key, size: meter.bytes, contentType, etag };
    });
  }

  async get(key: string, options: { range?: ByteRange } = {}): Promise<Readable> {
    const file = path.join(this.dir(key), DATA);
    // Opened before anything else: a delete or overwrite after this point cannot cut the read short.
    const handle = await open(file, "r").catch((err: NodeJS.ErrnoException) => {
      throw err.code === "ENOENT" || err.code === "ENOTDIR" ? notFound(key) : err;
    });
    try {
      if (!options.range) return handle.createReadStream();
      const { start, end } = resolveRange(options.range, (await handle.stat()).size);
      return handle.createReadStream({ start, end });
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async stat(key: string): Promise<BlobStat | null> {
    const dir = this.dir(key);
    const info = await stat(path.join(dir, DATA)).catch(() => null);
    if (!info) return null;
    const meta = await readMeta(path.join(dir, META));
    return {
      size: info.size,
      contentType: meta?.contentType ?? DEFAULT_TYPE,
      etag: meta?.etag ?? `${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}`,
      lastModified: info.mtime,
    };
  }

  async exists(key: string): Promise<boolean> {
    return (await this.stat(key)) !== null;
  }

  async delete(key: string): Promise<void> {
    const dir = this.dir(key);
    await rm(path.join(dir, DATA), { force: true });
    await rm(path.join(dir, META), { force: true });
    await this.prune(dir);
  }

  async deletePrefix(prefix: string): Promise<void> {
    const dir = this.dir(assertBlobPrefix(prefix, { allowEmpty: false }));
    const entries = await readdir(dir).catch(() => []);
    // The prefix's own blob (key === prefix) is not under `<prefix>/`: keep it.
    await Promise.all(entries.filter((name) => !name.startsWith("@")).map((name) => rm(path.join(dir, name), { recursive: true, force: true })));
    await this.prune(dir);
  }

  async list(prefix: string): Promise<BlobInfo[]> {
    const base = assertBlobPrefix(prefix, { allowEmpty: true });
    const out: BlobInfo[] = [];
    const walk = async (dir: string, keyPrefix: string) => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        if (e.name === DATA && keyPrefix !== base) {
          const size = await stat(path.join(dir, DATA)).then(
            (s) => s.size,
            () => null,
          );
          if (size !== null) out.push({ key: keyPrefix, size });
        } else if (e.isDirectory() && !e.name.startsWith("@")) {
          await walk(path.join(dir, e.name), keyPrefix ? `${keyPrefix}/${e.name}` : e.name);
        }
      }
    };
    await walk(base ? this.dir(base) : this.objects, base);
    // Byte order, as S3 lists.
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async copy(from: string, to: string): Promise<void> {
    const source = this.dir(from);
    this.dir(to);
    const tmpFile = await this.tempFile();
    try {
      await copyFile(path.join(source, DATA), tmpFile).catch((err: NodeJS.ErrnoException) => {
        throw err.code === "ENOENT" ? notFound(from) : err;
      });
      const meta = (await readMeta(path.join(source, META))) ?? { contentType: DEFAULT_TYPE, etag: (await this.stat(from))?.etag ?? "" };
      await this.commit(to, tmpFile, meta);
    } finally {
      await rm(tmpFile, { force: true });
    }
  }

  async presignGet(key: string, options: PresignGetOptions): Promise<string> {
    assertBlobKey(key);
    return this.grantUrl({ op: "get", key, exp: expiry(options.expiresIn), ...(options.filename ? { filename: options.filename } : {}) });
  }

  async presignPut(key: string, options: PresignPutOptions): Promise<PresignedRequest> {
    assertBlobKey(key);
    checkPresignPut(options);
    const exp = expiry(options.expiresIn);
    const url = this.grantUrl({ op: "put", key, exp, contentType: options.contentType, contentLength: options.contentLength });
    return { url, method: "PUT", headers: { "content-type": options.contentType }, expiresAt: new Date(exp * 1000) };
  }

  /** The grant a presigned URL's token carries, checked (signature, expiry, key). */
  readGrant(token: string): BlobGrant {
    return this.signer.verify(token);
  }

  grantUrl(grant: BlobGrant): string {
    return `${this.baseUrl}/api/blobs/${this.signer.sign(grant)}`;
  }

  async createMultipart(key: string, options: { contentType: string }): Promise<string> {
    return this.multipart.create(assertBlobKey(key), options.contentType || DEFAULT_TYPE);
  }

  async presignPart(key: string, uploadId: string, partNumber: number, options: { expiresIn?: number } = {}): Promise<PresignedRequest> {
    return this.multipart.presignPart(assertBlobKey(key), uploadId, partNumber, options.expiresIn ?? 3600);
  }

  /** Stores one part (what `PUT` on a part URL does); returns its etag. */
  async writePart(key: string, uploadId: string, partNumber: number, body: BlobBody, options: { contentLength?: number } = {}): Promise<string> {
    return this.multipart.writePart(assertBlobKey(key), uploadId, partNumber, body, options.contentLength);
  }

  async listParts(key: string, uploadId: string) {
    return this.multipart.listParts(assertBlobKey(key), uploadId);
  }

  async completeMultipart(key: string, uploadId: string, parts?: { partNumber: number; etag: string }[]): Promise<BlobStat> {
    return this.multipart.complete(assertBlobKey(key), uploadId, parts);
  }

  async abortMultipart(key: string, uploadId: string): Promise<void> {
    return this.multipart.abort(assertBlobKey(key), uploadId);
  }

  /** Removes empty folders from `dir` up to `objects/`, so deleted prefixes leave no trace. */
  private async prune(dir: string): Promise<void> {
    for (let d = dir; d.startsWith(this.objects + path.sep); d = path.dirname(d)) {
      const removed = await rmdir(d).then(
        () => true,
        () => false,
      );
      if (!removed) return;
    }
  }
}

async function readMeta(file: string): Promise<BlobMeta | null> {
  return readFile(file, "utf8").then(
    (text) => JSON.parse(text) as BlobMeta,
    () => null,
  );
}

function notFound(key: string) {
  return kernelError("KERNEL_BLOB_NOT_FOUND", `no blob "${key}"`);
}
