import { randomBytes } from "node:crypto";
import { exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import type { Knex } from "knex";
import type { SecretBox } from "../../secret-box.js";

export const JWT_ALG = "ES256";

type Key = Awaited<ReturnType<typeof importJWK>>;

interface KeyRow {
  kid: string;
  public_jwk: JWK;
  private_jwk_enc: string;
  sign_until: Date | string;
  expires_at: Date | string;
}

export interface SigningKeyOptions {
  /** How long one key signs new tokens before the next takes over. */
  rotateAfterMs: number;
  /** How long a retired key still verifies: the access-token lifetime plus clock skew. */
  verifyGraceMs: number;
}

/**
 * The keys that sign access tokens, kept in `kernel.signing_keys` (private halves sealed with the
 * kernel secret) so every host signs and verifies with the same set. One key signs at a time;
 * after `rotateAfterMs` a new one takes over and the old one verifies until its tokens expired.
 */
export class SigningKeys {
  private signing: { kid: string; key: Key; until: number } | null = null;
  private readonly verifying = new Map<string, { key: Key; expires: number }>();

  constructor(
    private readonly db: Knex,
    private readonly box: SecretBox,
    private readonly options: SigningKeyOptions,
  ) {}

  /** The key that signs now, making one when none is current. */
  async current(): Promise<{ kid: string; key: Key }> {
    if (this.signing && this.signing.until > Date.now()) return this.signing;
    const row: KeyRow | undefined = await this.db("kernel.signing_keys").where("sign_until", ">", new Date()).orderBy("created_at", "desc").first();
    if (row) {
      const key = await importJWK(JSON.parse(this.box.open(row.private_jwk_enc, row.kid)) as JWK, JWT_ALG);
      this.signing = { kid: row.kid, key, until: new Date(row.sign_until).getTime() };
      return this.signing;
    }
    return this.rotate();
  }

  /** Makes a new signing key now; the previous one stops signing and keeps verifying for the grace period. */
  async rotate(): Promise<{ kid: string; key: Key }> {
    const { publicKey, privateKey } = await generateKeyPair(JWT_ALG, { extractable: true });
    const kid = randomBytes(12).toString("base64url");
    const now = Date.now();
    const signUntil = new Date(now + this.options.rotateAfterMs);
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: JWT_ALG, use: "sig" };
    await this.db.transaction(async (trx) => {
      await trx("kernel.signing_keys")
        .where("sign_until", ">", new Date(now))
        .update({ sign_until: new Date(now), expires_at: new Date(now + this.options.verifyGraceMs) });
      await trx("kernel.signing_keys").insert({
        kid,
        alg: JWT_ALG,
        public_jwk: publicJwk,
        private_jwk_enc: this.box.seal(JSON.stringify(await exportJWK(privateKey)), kid),
        sign_until: signUntil,
        expires_at: new Date(signUntil.getTime() + this.options.verifyGraceMs),
      });
    });
    this.signing = { kid, key: privateKey, until: signUntil.getTime() };
    this.verifying.set(kid, { key: publicKey, expires: signUntil.getTime() + this.options.verifyGraceMs });
    for (const [k, v] of this.verifying) if (k !== kid && v.expires > now + this.options.verifyGraceMs) v.expires = now + this.options.verifyGraceMs;
    return this.signing;
  }

  /** The public key of `kid`, or null when no live key has that id. */
  async verificationKey(kid: string): Promise<Key | null> {
    const hit = this.verifying.get(kid);
    if (hit) {
      if (hit.expires > Date.now()) return hit.key;
      this.verifying.delete(kid);
      return null;
    }
    // Another host may have rotated: an unknown kid is looked up (a primary-key read).
    const row: KeyRow | undefined = await this.db("kernel.signing_keys").where({ kid }).where("expires_at", ">", new Date()).first();
    if (!row) return null;
    const key = await importJWK(row.public_jwk, JWT_ALG);
    this.verifying.set(kid, { key, expires: new Date(row.expires_at).getTime() });
    return key;
  }

  /** The JSON Web Key Set clients verify access tokens with: every key that still verifies. */
  async jwks(): Promise<{ keys: JWK[] }> {
    await this.current();
    const rows: KeyRow[] = await this.db("kernel.signing_keys").where("expires_at", ">", new Date()).orderBy("created_at", "desc");
    return { keys: rows.map((r) => r.public_jwk) };
  }
}
