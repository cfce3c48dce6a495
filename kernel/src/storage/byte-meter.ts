import { createHash, type Hash } from "node:crypto";
import { Readable, Transform, type TransformCallback } from "node:stream";
import { kernelError } from "../errors.js";

/**
 * Passes bytes through while counting them (and hashing them when asked). It fails the stream as
 * soon as the body is longer than allowed, or at the end when it is shorter than declared, so the
 * write behind it is abandoned and no blob is left.
 */
export class ByteMeter extends Transform {
  bytes = 0;
  private readonly hash: Hash | null;

  constructor(private readonly limits: { contentLength?: number; maxBytes?: number; md5?: boolean } = {}) {
    super();
    this.hash = limits.md5 ? createHash("md5") : null;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    const { contentLength, maxBytes } = this.limits;
    if (maxBytes !== undefined && this.bytes > maxBytes) done(kernelError("KERNEL_BLOB_TOO_LARGE", `the body is over the limit of ${maxBytes} bytes`));
    else if (contentLength !== undefined && this.bytes > contentLength) done(lengthError(contentLength, "more"));
    else {
      this.hash?.update(chunk);
      done(null, chunk);
    }
  }

  override _flush(done: TransformCallback): void {
    const { contentLength } = this.limits;
    done(contentLength !== undefined && this.bytes !== contentLength ? lengthError(contentLength, "fewer") : null);
  }

  /** Hex md5 of what passed; only after the end, and only with `md5: true`. */
  md5(): string {
    if (!this.hash) throw new Error("ByteMeter was not asked to hash");
    return this.hash.digest("hex");
  }
}

function lengthError(expected: number, what: "more" | "fewer") {
  return kernelError("KERNEL_BLOB_LENGTH", `the body has ${what} bytes than the declared ${expected}`);
}

/** Buffers and old-style streams as one Readable. */
export function toReadable(body: Buffer | Uint8Array | NodeJS.ReadableStream): Readable {
  if (body instanceof Readable) return body;
  if (Buffer.isBuffer(body) || body instanceof Uint8Array)
    return Readable.from([Buffer.from(body.buffer, body.byteOffset, body.byteLength)], { objectMode: false });
  return new Readable().wrap(body);
}
