import { createHash, randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ApiClient } from "../src/api/client.js";
import { ApiError, CLIENT_CODES } from "../src/api/errors.js";
import type { Asset, JobRecord } from "../src/api/types.js";
import { forgetResumable, type KeyValueStore, type PutBlob, type ResumableFile, resumeKey, UPLOAD_ROUTES, uploadResumable } from "../src/library/resumable.js";
import { type Host, startHost, tempDir } from "./e2e/harness.js";

/**
 * The studio's resumable uploads against the real host (PGlite, local disk), with parts of
 * 5 MiB so a 12 MiB photo goes in three. The part PUTs go through a fetch-based sender whose
 * failures the tests choose: a cut connection is a rejected PUT, as XMLHttpRequest gives.
 */
const MiB = 1024 * 1024;
let host: Host;
let home: string;
let api: ApiClient;
let photo: Blob;

class MemoryStore implements KeyValueStore {
  readonly map = new Map<string, string>();
  getItem(key: string) {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.map.set(key, value);
  }
  removeItem(key: string) {
    this.map.delete(key);
  }
}

/**
 * A sender over fetch that records each part it sent and fails the ones `fail` picks. Part URLs
 * are opaque, so `api` notes which part number the last URL was asked for (parts go one by one).
 */
function sender(fail: (partNumber: number, attempt: number) => boolean) {
  const sent: number[] = [];
  const attempts = new Map<number, number>();
  let asked = 0;
  const tracked = {
    get: api.get.bind(api),
    delete: api.delete.bind(api),
    post: <T>(path: string, body?: unknown) => {
      const numbers = (body as { partNumbers?: number[] } | undefined)?.partNumbers;
      if (numbers?.[0]) asked = numbers[0];
      return api.post<T>(path, body);
    },
  };
  const put: PutBlob = (request, body, onProgress) => {
    const part = asked;
    const n = (attempts.get(part) ?? 0) + 1;
    attempts.set(part, n);
    const promise = (async () => {
      if (fail(part, n)) throw new ApiError(0, CLIENT_CODES.network, "connection cut");
      const res = await fetch(new URL(request.url, host.url), { method: request.method, headers: request.headers, body: await body.arrayBuffer() });
      if (!res.ok) throw new ApiError(res.status, `HTTP_${res.status}`, await res.text());
      sent.push(part);
      onProgress(body.size);
    })();
    return { promise, abort: () => {} };
  };
  return { api: tracked, put, sent, attempts };
}

function file(blob: Blob, name: string): ResumableFile {
  return Object.assign(blob.slice(0, blob.size, "image/png"), { name, lastModified: 1_700_000_000_000 }) as ResumableFile;
}

async function ready(assetId: string, jobId: string): Promise<Asset> {
  for (let i = 0; i < 300; i++) {
    const job = await api.get<JobRecord>(`/api/jobs/${jobId}`);
    if (job.status === "succeeded") return api.get<Asset>(`/api/assets/${assetId}`);
    if (job.status === "failed") throw new Error(`ingest failed: ${job.error?.message}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("ingest did not finish");
}

const sha = async (b: Blob | ArrayBuffer) =>
  createHash("sha256")
    .update(Buffer.from(b instanceof Blob ? await b.arrayBuffer() : b))
    .digest("hex");

beforeAll(async () => {
  home = tempDir("crealia-resumable-");
  host = await startHost({ home, env: { CREALIA_UPLOAD_RESUMABLE_ABOVE: String(5 * MiB), CREALIA_UPLOAD_PART_BYTES: String(5 * MiB) } });
  api = new ApiClient({ baseUrl: host.url });
  // Noise does not compress: a 2048×2048 PNG is about 12 MiB, three parts.
  const raw = randomBytes(2048 * 2048 * 3);
  photo = new Blob(
    [
      await sharp(raw, { raw: { width: 2048, height: 2048, channels: 3 } })
        .png({ compressionLevel: 1 })
        .toBuffer(),
    ],
    { type: "image/png" },
  );
}, 90_000);

afterAll(async () => {
  await host?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe("resumable uploads", () => {
  test("the kernel tells the studio when to upload in parts", async () => {
    const limits = await api.get<{ resumableAbove: number; partSize: number }>(UPLOAD_ROUTES.limits);
    expect(limits).toMatchObject({ resumableAbove: 5 * MiB, partSize: 5 * MiB });
    expect(photo.size).toBeGreaterThan(10 * MiB);
  });

  test("a part whose PUT fails is sent again, and the asset has the file's exact bytes", async () => {
    const store = new MemoryStore();
    const { api: tracked, put, sent, attempts } = sender((part, attempt) => part === 2 && attempt === 1);
    const progress: number[] = [];
    const f = file(photo, "noise.png");
    const { promise } = uploadResumable(f, { onProgress: (p) => progress.push(p.loaded) }, { api: tracked, put, store, retryDelayMs: 10 });
    const { asset, jobId } = await promise;
    expect(sent).toEqual([1, 2, 3]);
    expect(attempts.get(2)).toBe(2);
    expect(progress.at(-1)).toBe(photo.size);
    // Progress never runs past the file, and ends at its size.
    expect(Math.max(...progress)).toBe(photo.size);
    expect(store.map.size).toBe(0);
    const done = await ready(asset.id, jobId);
    expect(done.status).toBe("ready");
    const original = await fetch(new URL(done.urls.original, host.url)).then((r) => r.arrayBuffer());
    expect(await sha(original)).toBe(await sha(photo));
  }, 60_000);

  test("after the connection stays down, a new try (as after a reload) sends only the missing parts", async () => {
    const store = new MemoryStore();
    const f = file(photo, "resumed.png");
    const down = sender((part) => part >= 2);
    const first = uploadResumable(f, {}, { api: down.api, put: down.put, store, retries: 1, retryDelayMs: 10 });
    await expect(first.promise).rejects.toMatchObject({ code: CLIENT_CODES.network });
    expect(down.sent).toEqual([1]);
    // The session id survives under the file's key; a second try with the same file finds it.
    const id = store.getItem(resumeKey(f));
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const session = await api.get<{ multipart: { uploadedParts: number[] } }>(UPLOAD_ROUTES.one(id as string));
    expect(session.multipart.uploadedParts).toEqual([1]);

    const up = sender(() => false);
    const resumed: number[] = [];
    const second = uploadResumable(f, { onProgress: (p) => resumed.push(p.resumedParts) }, { api: up.api, put: up.put, store });
    const { asset, jobId } = await second.promise;
    expect(up.sent).toEqual([2, 3]);
    expect(resumed[0]).toBe(1);
    expect(store.getItem(resumeKey(f))).toBeNull();
    expect((await ready(asset.id, jobId)).name).toBe("resumed.png");
  }, 60_000);

  test("a refused part is not retried, and cancelling gives the session up on the server", async () => {
    const store = new MemoryStore();
    const f = file(photo, "cancelled.png");
    let calls = 0;
    const refusing: PutBlob = () => {
      calls++;
      return { promise: Promise.reject(new ApiError(403, "KERNEL_BLOB_URL_INVALID", "bad signature")), abort: () => {} };
    };
    await expect(uploadResumable(f, {}, { api, put: refusing, store, retryDelayMs: 10 }).promise).rejects.toMatchObject({ status: 403 });
    expect(calls).toBe(1);
    const id = store.getItem(resumeKey(f)) as string;
    await forgetResumable(f, { api, store });
    expect(store.getItem(resumeKey(f))).toBeNull();
    expect((await api.get<{ status: string }>(UPLOAD_ROUTES.one(id))).status).toBe("aborted");
  }, 30_000);
});
