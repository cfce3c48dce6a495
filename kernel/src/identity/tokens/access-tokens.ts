import { randomBytes } from "node:crypto";
import { decodeProtectedHeader, errors, jwtVerify, SignJWT } from "jose";
import { kernelError } from "../../errors.js";
import { JWT_ALG, type SigningKeys } from "./signing-keys.js";

export interface AccessClaims {
  /** The user. */
  sub: string;
  /** The session (refresh-token family) it belongs to. */
  sid: string;
  /** The tenant the session acts in. */
  tid: string;
}

const TYP = "at+jwt";
const AUDIENCE = "crealia-api";

/** Short-lived JWT access tokens signed by the current key; verification goes by `kid`. */
export class AccessTokens {
  constructor(
    private readonly keys: SigningKeys,
    private readonly issuer: string,
    readonly ttlSeconds: number,
  ) {}

  async sign(claims: AccessClaims, options: { expiresAt?: Date } = {}): Promise<{ token: string; expiresAt: Date }> {
    const { kid, key } = await this.keys.current();
    const expiresAt = options.expiresAt ?? new Date(Date.now() + this.ttlSeconds * 1000);
    const token = await new SignJWT({ sid: claims.sid, tid: claims.tid })
      .setProtectedHeader({ alg: JWT_ALG, kid, typ: TYP })
      .setSubject(claims.sub)
      .setIssuer(this.issuer)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setJti(randomBytes(9).toString("base64url"))
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(key);
    return { token, expiresAt };
  }

  /** The claims of a valid token; a 401 (`KERNEL_UNAUTHENTICATED`) for anything else, with the reason. */
  async verify(token: string): Promise<AccessClaims> {
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      throw kernelError("KERNEL_UNAUTHENTICATED", "the access token is malformed");
    }
    const key = kid ? await this.keys.verificationKey(kid) : null;
    if (!key) throw kernelError("KERNEL_UNAUTHENTICATED", "the access token was signed with an unknown key");
    try {
      const { payload } = await jwtVerify(token, key, { issuer: this.issuer, audience: AUDIENCE, algorithms: [JWT_ALG], typ: TYP });
      if (typeof payload.sub !== "string" || typeof payload.sid !== "string" || typeof payload.tid !== "string") {
        throw kernelError("KERNEL_UNAUTHENTICATED", "the access token lacks its claims");
      }
      return { sub: payload.sub, sid: payload.sid, tid: payload.tid };
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw kernelError("KERNEL_UNAUTHENTICATED", "the access token has expired: refresh it");
      if (err instanceof errors.JOSEError) throw kernelError("KERNEL_UNAUTHENTICATED", "the access token is invalid");
      throw err;
    }
  }
}
