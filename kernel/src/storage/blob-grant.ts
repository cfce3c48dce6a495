import { createHmac, timingSafeEqual } from "node:crypto";
import { kernelError } from "../errors.js";
import { assertBlobKey } from "./blob-keys.js";

/**
 * What a local-disk presigned URL allows: one operation on one key until `exp` (unix seconds).
 * The URL carries it as `<payload>.<hmac>`, so the kernel needs no table of issued URLs and the
 * signature alone authorizes the request (as S3's query signature does).
 */
export type BlobGrant =
  | { op: "get"; key: string; exp: number; filename?: string }
  | { op: "put"; key: string; exp: number; contentType: string; contentLength?: number }
  | { op: "part"; key: string; exp: number; uploadId: string; partNumber: number };

export class BlobGrantSigner {
  private readonly secret: Buffer;

  constructor(secret: string) {
    if (secret.length < 32) throw new Error("the blob URL secret must have at least 32 characters");
    // Derived so the kernel secret itself never signs anything users see.
    this.secret = createHmac("sha256", secret).update("crealia blob urls v1").digest();
  }

  sign(grant: BlobGrant): string {
    const payload = Buffer.from(JSON.stringify(grant)).toString("base64url");
    return `${payload}.${this.mac(payload)}`;
  }

  /** The grant of a token, or KERNEL_BLOB_URL_INVALID when it was tampered with or has expired. */
  verify(token: string, now = Date.now()): BlobGrant {
    const [payload, mac, extra] = token.split(".");
    if (!payload || !mac || extra !== undefined) throw invalid("is malformed");
    const expected = Buffer.from(this.mac(payload));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid("has a bad signature");
    const grant = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as BlobGrant;
    if (typeof grant.exp !== "number" || grant.exp * 1000 <= now) throw invalid("has expired");
    assertBlobKey(grant.key);
    return grant;
  }

  private mac(payload: string): string {
    return createHmac("sha256", this.secret).update(payload).digest("base64url");
  }
}

function invalid(why: string) {
  return kernelError("KERNEL_BLOB_URL_INVALID", `this blob URL ${why}`);
}
