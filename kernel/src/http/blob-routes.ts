import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { kernelError } from "../errors.js";
import { contentDisposition } from "../storage/blob-checks.js";
import { type BlobStore, type ByteRange, MULTIPART } from "../storage/blob-store.js";
import { LocalBlobStore } from "../storage/local-blob-store.js";

/**
 * What S3 does for its presigned URLs, for the local-disk driver: `GET /api/blobs/<token>` (with
 * Range) and `PUT /api/blobs/<token>` (a whole blob, or one part of a multipart upload). The token's
 * signature is the authorization, so kernel.ts resolves no identity under `/api/blobs/`. With S3 the
 * URLs point at S3 itself and these routes do not exist.
 */
export async function registerBlobRoutes(app: FastifyInstance, blobs: BlobStore): Promise<void> {
  if (!(blobs instanceof LocalBlobStore)) return;
  await app.register(async (scope) => {
    // Bodies are streamed to disk by the handler, whatever their type: no parsing, no buffering.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_req, _payload, done) => done(null));
    // A wildcard, not `:token`: tokens are longer than Fastify's 100-character parameter limit.
    // HEAD is declared, not derived from GET: Fastify's derived HEAD would read the whole blob to discard it.
    scope.route({ method: ["GET", "HEAD"], url: "/api/blobs/*", schema: { hide: true }, handler: (req, reply) => serveBlob(blobs, req, reply) });
    scope.put("/api/blobs/*", { schema: { hide: true } }, (req, reply) => receiveBlob(blobs, req, reply));
  });
}

function token(req: FastifyRequest): string {
  return (req.params as { "*": string })["*"];
}

async function serveBlob(blobs: LocalBlobStore, req: FastifyRequest, reply: FastifyReply) {
  const grant = blobs.readGrant(token(req));
  if (grant.op !== "get") throw kernelError("KERNEL_BLOB_URL_INVALID", "this blob URL is for uploading, not reading");
  const stat = await blobs.stat(grant.key);
  if (!stat) throw kernelError("KERNEL_BLOB_NOT_FOUND", "the blob behind this URL is gone");
  reply.header("content-type", stat.contentType);
  reply.header("etag", `"${stat.etag}"`);
  reply.header("last-modified", stat.lastModified.toUTCString());
  reply.header("accept-ranges", "bytes");
  if (grant.filename) reply.header("content-disposition", contentDisposition(grant.filename));
  const range = parseRangeHeader(req.headers.range, stat.size);
  if (range === "unsatisfiable") {
    reply.header("content-range", `bytes */${stat.size}`);
    throw kernelError("KERNEL_BLOB_RANGE", `the range starts past the end of the blob (${stat.size} bytes)`, { size: stat.size });
  }
  const end = range ? Math.min(range.end ?? stat.size - 1, stat.size - 1) : stat.size - 1;
  const start = range?.start ?? 0;
  reply.header("content-length", String(Math.max(end - start + 1, 0)));
  if (range) reply.code(206).header("content-range", `bytes ${start}-${end}/${stat.size}`);
  if (req.method === "HEAD") return reply.send();
  return reply.send(await blobs.get(grant.key, range ? { range } : {}));
}

async function receiveBlob(blobs: LocalBlobStore, req: FastifyRequest, reply: FastifyReply) {
  const grant = blobs.readGrant(token(req));
  const declared = req.headers["content-length"] === undefined ? undefined : Number(req.headers["content-length"]);
  if (grant.op === "part") {
    const etag = await blobs.writePart(grant.key, grant.uploadId, grant.partNumber, req.raw, { contentLength: declared });
    return reply.header("etag", `"${etag}"`).send();
  }
  if (grant.op !== "put") throw kernelError("KERNEL_BLOB_URL_INVALID", "this blob URL is for reading, not uploading");
  // As on S3, the signed Content-Type (and length, when pinned) must be sent exactly.
  if ((req.headers["content-type"] ?? "") !== grant.contentType) {
    throw kernelError("KERNEL_BLOB_URL_INVALID", `this blob URL was signed for Content-Type "${grant.contentType}"`);
  }
  if (grant.contentLength !== undefined && declared !== undefined && declared !== grant.contentLength) {
    throw kernelError("KERNEL_BLOB_LENGTH", `this blob URL was signed for ${grant.contentLength} bytes, not ${declared}`);
  }
  // 5 GiB, S3's limit for one PUT, when no length was pinned.
  const limits = { contentLength: grant.contentLength ?? declared, maxBytes: MULTIPART.maxPartSize };
  const stored = await blobs.put(grant.key, req.raw, { contentType: grant.contentType, ...limits });
  return reply.header("etag", `"${stored.etag}"`).send();
}

/**
 * One `bytes=` range of RFC 9110 against a blob of `size` bytes. Several ranges or bad syntax give
 * null (the whole blob is sent, as the RFC allows); a range past the end gives "unsatisfiable".
 */
export function parseRangeHeader(header: string | undefined, size: number): ByteRange | null | "unsatisfiable" {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === "" && m[2] === "")) return null;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(size - suffix, 0), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === "" ? undefined : Number(m[2]);
  if (end !== undefined && end < start) return null;
  return start >= size ? "unsatisfiable" : { start, end };
}
