import { randomBytes } from "node:crypto";
import { readdir } from "node:fs/promises";
import type { S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createBlobStore } from "../../src/storage/create-blob-store.js";
import { createS3Client, S3BlobStore } from "../../src/storage/s3-blob-store.js";
import { blobStoreContract, chunked, MiB, readAll } from "./blob-store.contract.js";
import { startTestS3, type TestS3 } from "./s3rver-server.js";

/** Unfinished multipart uploads s3rver still holds. */
async function openUploads(s3: TestS3): Promise<string[]> {
  return readdir(s3.uploadsDir).catch(() => []);
}

blobStoreContract("S3 (s3rver)", async () => {
  const s3 = await startTestS3();
  // Small pages and parts, so paging and multipart run on test-sized data.
  const store = new S3BlobStore({ client: s3.client, bucket: s3.bucket, pageSize: 7, partSize: 5 * MiB });
  return { store, leftovers: () => openUploads(s3), close: () => s3.close() };
});

/** Names of the S3 commands a client sends, in order. */
function recordCommands(client: S3Client): string[] {
  const names: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      names.push(String(context.commandName));
      return next(args);
    },
    { step: "initialize", name: "crealiaTestRecorder" },
  );
  return names;
}

describe("S3BlobStore", () => {
  let s3: TestS3;
  let store: S3BlobStore;
  let commands: string[];

  beforeAll(async () => {
    s3 = await startTestS3();
    commands = recordCommands(s3.client);
    store = new S3BlobStore({ client: s3.client, bucket: s3.bucket, partSize: 5 * MiB, queueSize: 2 });
  });
  afterAll(async () => s3?.close());

  test("a big stream goes up as a multipart upload", async () => {
    commands.length = 0;
    const data = randomBytes(12 * MiB);
    await store.put("s3/big", chunked(data));
    expect(commands.filter((c) => c === "UploadPartCommand")).toHaveLength(3);
    expect(commands).toContain("CreateMultipartUploadCommand");
    expect(commands).toContain("CompleteMultipartUploadCommand");
    expect((await readAll(await store.get("s3/big"))).equals(data)).toBe(true);
  });

  test("a stream that fails after some parts were sent aborts its multipart upload", async () => {
    commands.length = 0;
    await expect(store.put("s3/cut", chunked(randomBytes(MiB), { total: 30 * MiB, failAfter: 16 * MiB }))).rejects.toThrow("client went away");
    expect(commands).toContain("UploadPartCommand");
    expect(commands).toContain("AbortMultipartUploadCommand");
    expect(commands).not.toContain("CompleteMultipartUploadCommand");
    expect(await openUploads(s3)).toEqual([]);
    expect(await store.exists("s3/cut")).toBe(false);
  });

  test("a presigned PUT signs its Content-Type and pinned Content-Length, so S3 enforces both", async () => {
    const put = await store.presignPut("s3/p", { expiresIn: 60, contentType: "image/png", contentLength: 42, maxBytes: 100 });
    const signed = new URL(put.url).searchParams.get("X-Amz-SignedHeaders")?.split(";");
    expect(signed).toEqual(expect.arrayContaining(["content-type", "content-length", "host"]));
    expect(new URL(put.url).searchParams.get("X-Amz-Expires")).toBe("60");
  });

  test("the client sends checksums only where S3 requires them (s3rver would store chunk framing)", async () => {
    const client = createS3Client({ bucket: "b", endpoint: s3.endpoint, region: "us-east-1", accessKeyId: "k", secretAccessKey: "s", forcePathStyle: true });
    expect(await client.config.requestChecksumCalculation()).toBe("WHEN_REQUIRED");
    expect(await client.config.responseChecksumValidation()).toBe("WHEN_REQUIRED");
    expect(await client.config.forcePathStyle).toBe(true);
    client.destroy();
  });

  test("createBlobStore picks S3 when S3_BUCKET is set", () => {
    const config = loadConfig({ S3_BUCKET: "media", S3_ENDPOINT: s3.endpoint, S3_ACCESS_KEY_ID: "k", S3_SECRET_ACCESS_KEY: "s" }, "/tmp");
    expect(createBlobStore(config).kind).toBe("s3");
  });
});
