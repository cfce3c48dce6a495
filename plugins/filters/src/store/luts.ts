/** Imported `.cube` LUTs, per tenant, deduplicated by the sha256 of their data. */
import { createHash } from "node:crypto";
import type { Knex, PluginDatabase } from "@crealia/kernel/sdk";
import { filtersError } from "../errors.js";
import type { CubeLut } from "../render/color/cube.js";
import { Lru } from "../render/lru.js";

export interface LutInfo {
  id: string;
  name: string;
  title: string | null;
  kind: "3d" | "1d";
  size: number;
  sha256: string;
  createdAt: string;
}

interface Row {
  id: string;
  name: string;
  title: string | null;
  kind: "3d" | "1d";
  size: number;
  domain: unknown;
  data?: Buffer;
  sha256: string;
  created_at: Date | string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const iso = (v: Date | string) => (v instanceof Date ? v.toISOString() : new Date(v).toISOString());
const info = (r: Row): LutInfo => ({ id: r.id, name: r.name, title: r.title, kind: r.kind, size: r.size, sha256: r.sha256, createdAt: iso(r.created_at) });

export class LutStore {
  /** Decoded LUTs by tenant and id (a LUT never changes once stored). */
  private readonly cache = new Lru<string, CubeLut>(64 * 1024 * 1024, (l) => l.data.byteLength);

  constructor(private readonly db: PluginDatabase) {}

  private tx<T>(tenantId: string, fn: (trx: Knex.Transaction) => Promise<T>) {
    return this.db.transaction(fn, { tenantId });
  }

  /** Stores a parsed LUT; the same data stored again returns the existing one. */
  async put(tenantId: string, name: string, lut: CubeLut): Promise<LutInfo & { created: boolean }> {
    const data = Buffer.from(lut.data.buffer, lut.data.byteOffset, lut.data.byteLength);
    const sha256 = createHash("sha256").update(`${lut.kind}:${lut.size}:${lut.domainMin}:${lut.domainMax}:`).update(data).digest("hex");
    return this.tx(tenantId, async (trx) => {
      const existing = await trx("luts").where({ tenant_id: tenantId, sha256 }).first("id", "name", "title", "kind", "size", "domain", "sha256", "created_at");
      if (existing) return { ...info(existing), created: false };
      const [row] = await trx("luts")
        .insert({
          tenant_id: tenantId,
          name: name.slice(0, 200),
          title: lut.title,
          kind: lut.kind,
          size: lut.size,
          domain: JSON.stringify({ min: lut.domainMin, max: lut.domainMax }),
          data,
          sha256,
        })
        .returning(["id", "name", "title", "kind", "size", "domain", "sha256", "created_at"]);
      return { ...info(row as Row), created: true };
    });
  }

  async list(tenantId: string): Promise<LutInfo[]> {
    const rows = await this.tx(tenantId, (trx) =>
      trx("luts").where({ tenant_id: tenantId }).orderBy("name").select("id", "name", "title", "kind", "size", "sha256", "created_at"),
    );
    return rows.map(info);
  }

  /** The LUT's data; FILTERS_LUT_NOT_FOUND when the tenant has no such LUT. */
  async load(tenantId: string, id: string): Promise<CubeLut & { name: string }> {
    const key = `${tenantId}/${id}`;
    const hit = this.cache.get(key);
    if (hit) return hit as CubeLut & { name: string };
    const row = UUID.test(id) ? await this.tx(tenantId, (trx) => trx("luts").where({ tenant_id: tenantId, id }).first()) : undefined;
    if (!row?.data) throw filtersError("FILTERS_LUT_NOT_FOUND", `the recipe uses LUT ${id}, which this tenant does not have: import it with POST /luts`);
    const domain = (typeof row.domain === "string" ? JSON.parse(row.domain) : row.domain) as { min: [number, number, number]; max: [number, number, number] };
    const bytes = Buffer.from(row.data);
    const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const lut = { kind: row.kind, title: row.title, size: row.size, domainMin: domain.min, domainMax: domain.max, data, name: row.name };
    this.cache.set(key, lut);
    return lut;
  }

  async delete(tenantId: string, id: string): Promise<void> {
    const gone = UUID.test(id) ? await this.tx(tenantId, (trx) => trx("luts").where({ tenant_id: tenantId, id }).delete().returning("id")) : [];
    if (!gone.length) throw filtersError("FILTERS_LUT_NOT_FOUND", `there is no LUT ${id}`);
    this.cache.delete(`${tenantId}/${id}`);
  }
}
