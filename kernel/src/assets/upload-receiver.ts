import { createHash, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { kernelError } from "../errors.js";

export interface ReceivedFile {
  path: string;
  size: number;
  sha256: string;
  remove(): Promise<void>;
}

/**
 * Streams an upload to a temp file while hashing it, stopping at `maxBytes`. Whatever goes
 * wrong (limit, client cut off, disk), the temp file is removed and nothing else was written.
 */
export async function receiveToTempFile(
  source: NodeJS.ReadableStream,
  options: { tmpDir: string; maxBytes: number; truncated?: () => boolean },
): Promise<ReceivedFile> {
  await mkdir(options.tmpDir, { recursive: true });
  const file = path.join(options.tmpDir, `upload-${randomUUID()}`);
  const hash = createHash("sha256");
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > options.maxBytes) return done(kernelError("KERNEL_UPLOAD_TOO_LARGE", `the upload is larger than the limit of ${options.maxBytes} bytes`));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const remove = () => rm(file, { force: true });
  try {
    await pipeline(source, meter, createWriteStream(file));
    // @fastify/multipart ends the stream quietly when its own fileSize limit cuts it.
    if (options.truncated?.()) throw kernelError("KERNEL_UPLOAD_TOO_LARGE", `the upload is larger than the limit of ${options.maxBytes} bytes`);
  } catch (err) {
    await remove();
    throw err;
  }
  if ((await stat(file)).size === 0) {
    await remove();
    throw kernelError("KERNEL_EMPTY_FILE", "the file is empty");
  }
  return { path: file, size, sha256: hash.digest("hex"), remove };
}

/** Hashes a file already on disk (a version a plugin produced). */
export async function describeFile(file: string): Promise<{ size: number; sha256: string }> {
  const { createReadStream } = await import("node:fs");
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return { size: (await stat(file)).size, sha256: hash.digest("hex") };
}
