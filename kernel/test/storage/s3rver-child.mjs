// Runs s3rver for the S3 tests in its own process, started with --openssl-legacy-provider: s3rver
// makes ListObjectsV2 continuation tokens with DES, which Node's OpenSSL 3 refuses otherwise.
// Usage: node --openssl-legacy-provider s3rver-child.mjs <dir>; prints {"port":N} once listening.
import { readdir, readFile, rm, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const S3rver = require("s3rver");
const S3Error = require("s3rver/lib/models/error.js");

/**
 * s3rver lacks ListParts and AbortMultipartUpload, which S3 has and the driver calls: this adds
 * both over s3rver's own upload folders, so the driver's real SDK calls run unchanged.
 */
async function multipartShim(ctx, next) {
  const m = /^\/([^/]+)\/(.+)$/.exec(ctx.path);
  const uploadId = ctx.query.uploadId;
  if (!m || typeof uploadId !== "string" || "partNumber" in ctx.query || (ctx.method !== "GET" && ctx.method !== "DELETE")) return next();
  const [, bucket, key] = m;
  const dir = path.join(ctx.store.getResourcePath(bucket, undefined, "uploads"), path.basename(uploadId));
  const storedKey = await readFile(path.join(dir, "key"), "utf8").catch(() => null);
  if (storedKey !== decodeURIComponent(key)) throw new S3Error("NoSuchUpload", "The specified upload does not exist.", { UploadId: uploadId });
  if (ctx.method === "DELETE") {
    await rm(dir, { recursive: true, force: true });
    ctx.status = 204;
    return;
  }
  const parts = [];
  const names = (await readdir(dir)).filter((n) => /^\d+$/.test(n)).sort((a, b) => Number(a) - Number(b));
  for (const name of names) {
    const [info, md5] = await Promise.all([stat(path.join(dir, name)), readFile(path.join(dir, `${name}.md5`), "utf8")]);
    parts.push({ PartNumber: Number(name), ETag: `"${md5}"`, Size: info.size, LastModified: info.mtime.toISOString() });
  }
  ctx.body = { ListPartsResult: { Bucket: bucket, Key: storedKey, UploadId: uploadId, IsTruncated: false, Part: parts } };
}

const server = new S3rver({ port: 0, address: "127.0.0.1", silent: !process.env.S3RVER_LOG, directory: process.argv[2] });
// Before the router (the last middleware), after s3rver's XML encoder.
server.middleware.splice(server.middleware.length - 1, 0, multipartShim);
const address = await server.run();
process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
