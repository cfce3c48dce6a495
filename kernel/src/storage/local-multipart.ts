import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { kernelError } from "../errors.js";
import { checkCompleteParts, checkPartNumber, expiry } from "./blob-checks.js";
import { type BlobBody, type BlobStat, MULTIPART, type PresignedRequest, type UploadedPart } from "./blob-store.js";
import { ByteMeter } from "./byte-meter.js";
import type { LocalBlobStore } from "./local-blob-store.js";

const UPLOAD_ID = /^[0-9a-f]{32}$/;
const PART_FILE = /^part-(\d+)$/;

/**
 * Resumable uploads on local disk, with S3's rules: `uploads/<id>/` holds `upload.json` and one
 * file per part (each written to a temp file and renamed, so a cut-off part is simply absent);
 * completing concatenates them into a temp file that is renamed into place as the blob.
 */
export class LocalMultipart {
  constructor(
    private readonly root: string,
    private readonly store: LocalBlobStore,
  ) {}

  async create(key: string, contentType: string): Promise<string> {
    const uploadId = randomBytes(16).toString("hex");
    const dir = path.join(this.root, uploadId);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, "upload.json"), JSON.stringify({ key, contentType, createdAt: new Date().toISOString() }));
    return uploadId;
  }

  /** Like S3, the URL is made without checking the upload: an unknown upload fails when the part is sent. */
  async presignPart(key: string, uploadId: string, partNumber: number, expiresIn: number): Promise<PresignedRequest> {
    checkPartNumber(partNumber);
    const exp = expiry(expiresIn);
    return { url: this.store.grantUrl({ op: "part", key, exp, uploadId, partNumber }), method: "PUT", headers: {}, expiresAt: new Date(exp * 1000) };
  }

  async writePart(key: string, uploadId: string, partNumber: number, body: BlobBody, contentLength?: number): Promise<string> {
    checkPartNumber(partNumber);
    const { dir } = await this.upload(key, uploadId);
    const meter = new ByteMeter({ contentLength, maxBytes: MULTIPART.maxPartSize, md5: true });
    return this.store.writeTemp(body, meter, async (tmpFile) => {
      const etag = meter.md5();
      try {
        await writeFile(path.join(dir, `part-${partNumber}.etag`), etag);
        await rename(tmpFile, path.join(dir, `part-${partNumber}`));
      } catch (err) {
        // Aborted while the part was on its way.
        throw (err as NodeJS.ErrnoException).code === "ENOENT" ? uploadNotFound(uploadId) : err;
      }
      return etag;
    });
  }

  async listParts(key: string, uploadId: string): Promise<UploadedPart[]> {
    const { dir } = await this.upload(key, uploadId);
    const parts: UploadedPart[] = [];
    for (const name of await readdir(dir)) {
      const n = PART_FILE.exec(name)?.[1];
      if (!n) continue;
      const [size, etag] = await Promise.all([stat(path.join(dir, name)).then((s) => s.size), readFile(path.join(dir, `${name}.etag`), "utf8")]).catch(() => [
        null,
        null,
      ]);
      if (size !== null && etag !== null) parts.push({ partNumber: Number(n), etag, size });
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  async complete(key: string, uploadId: string, requested?: { partNumber: number; etag: string }[]): Promise<BlobStat> {
    const { dir, contentType } = await this.upload(key, uploadId);
    const uploaded = new Map((await this.listParts(key, uploadId)).map((p) => [p.partNumber, p]));
    const chosen = checkCompleteParts(requested ?? [...uploaded.values()]).map((want, i, all) => {
      const have = uploaded.get(want.partNumber);
      if (!have || have.etag !== want.etag) throw kernelError("KERNEL_BLOB_MULTIPART", `part ${want.partNumber} was not uploaded, or its etag differs`);
      if (i < all.length - 1 && have.size < MULTIPART.minPartSize) {
        throw kernelError("KERNEL_BLOB_MULTIPART", `part ${want.partNumber} has ${have.size} bytes: every part but the last needs at least 5 MiB`);
      }
      return have;
    });
    const tmpFile = await this.store.tempFile();
    try {
      const files = chosen.map((p) => path.join(dir, `part-${p.partNumber}`));
      await pipeline(async function* () {
        for (const file of files) yield* createReadStream(file);
      }, createWriteStream(tmpFile));
      // S3's etag for an assembled object: md5 of the parts' binary md5s, then "-<count>".
      const etag = `${createHash("md5")
        .update(Buffer.concat(chosen.map((p) => Buffer.from(p.etag, "hex"))))
        .digest("hex")}-${chosen.length}`;
      await this.store.commit(key, tmpFile, { contentType, etag });
    } finally {
      await rm(tmpFile, { force: true });
    }
    await rm(dir, { recursive: true, force: true });
    const done = await this.store.stat(key);
    if (!done) throw kernelError("KERNEL_BLOB_NOT_FOUND", `blob "${key}" vanished right after its upload completed`);
    return done;
  }

  async abort(key: string, uploadId: string): Promise<void> {
    const found = await this.upload(key, uploadId).catch(() => null);
    if (found) await rm(found.dir, { recursive: true, force: true });
  }

  private async upload(key: string, uploadId: string): Promise<{ dir: string; contentType: string }> {
    if (typeof uploadId !== "string" || !UPLOAD_ID.test(uploadId)) throw uploadNotFound(String(uploadId));
    const dir = path.join(this.root, uploadId);
    const info = await readFile(path.join(dir, "upload.json"), "utf8").then(
      (text) => JSON.parse(text) as { key: string; contentType: string },
      () => null,
    );
    if (!info || info.key !== key) throw uploadNotFound(uploadId);
    return { dir, contentType: info.contentType };
  }
}

function uploadNotFound(uploadId: string) {
  return kernelError("KERNEL_BLOB_UPLOAD_NOT_FOUND", `no multipart upload "${uploadId}" for this key (completed, aborted or never started)`);
}
