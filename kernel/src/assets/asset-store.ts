import type { Knex } from "knex";
import { withTenant } from "../tenancy/tenant-db.js";
import type { Asset, AssetListQuery, AssetVersion, Derivative } from "./asset-types.js";
import type { AssetKind } from "./media-types.js";

type Row = Record<string, unknown>;
const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : null);

function toVersion(r: Row): AssetVersion {
  return {
    version: Number(r.version),
    mime: r.mime as string,
    size: Number(r.size),
    sha256: r.sha256 as string,
    width: (r.width as number | null) ?? null,
    height: (r.height as number | null) ?? null,
    durationMs: (r.duration_ms as number | null) ?? null,
    metadata: (r.metadata as Record<string, unknown>) ?? {},
    derivatives: (r.derivatives as Record<string, Derivative>) ?? {},
    source: r.source as string,
    createdAt: iso(r.created_at) as string,
  };
}

/** Cursor = base64url of "<created_at ISO>|<id>", ordering newest first. */
const encodeCursor = (a: Asset) => Buffer.from(`${a.createdAt}|${a.id}`).toString("base64url");
function decodeCursor(cursor: string): { createdAt: string; id: string } | null {
  const [createdAt, id] = Buffer.from(cursor, "base64url").toString().split("|");
  if (!createdAt || !id || Number.isNaN(Date.parse(createdAt)) || !/^[0-9a-f-]{36}$/.test(id)) return null;
  return { createdAt, id };
}

/** SQL for assets, versions, tags and projects. Every query is scoped by tenant. */
export class AssetStore {
  constructor(private readonly db: Knex) {}

  async insertAsset(
    trx: Knex.Transaction,
    a: { id: string; tenantId: string; ownerUserId: string | null; kind: AssetKind; name: string; tags: string[]; idempotencyKey?: string },
  ): Promise<void> {
    await trx("kernel.assets").insert({
      id: a.id,
      tenant_id: a.tenantId,
      owner_user_id: a.ownerUserId,
      kind: a.kind,
      name: a.name,
      status: "processing",
      idempotency_key: a.idempotencyKey ?? null,
    });
    if (a.tags.length) await trx("kernel.asset_tags").insert(a.tags.map((tag) => ({ asset_id: a.id, tenant_id: a.tenantId, tag })));
  }

  async insertVersion(
    trx: Knex.Transaction | Knex,
    v: {
      assetId: string;
      tenantId: string;
      version: number;
      blobKey: string;
      mime: string;
      size: number;
      sha256: string;
      source: string;
      userId: string | null;
      media: { width: number | null; height: number | null; durationMs: number | null; metadata: Record<string, unknown> };
      idempotencyKey?: string;
    },
  ): Promise<void> {
    await trx("kernel.asset_versions").insert({
      asset_id: v.assetId,
      tenant_id: v.tenantId,
      version: v.version,
      blob_key: v.blobKey,
      mime: v.mime,
      size: v.size,
      sha256: v.sha256,
      source: v.source,
      created_by_user_id: v.userId,
      width: v.media.width,
      height: v.media.height,
      duration_ms: v.media.durationMs,
      metadata: JSON.stringify(v.media.metadata),
      idempotency_key: v.idempotencyKey ?? null,
    });
  }

  /** The version an earlier call with this idempotency key added, if any. */
  async versionByKey(trx: Knex.Transaction, tenantId: string, assetId: string, key: string): Promise<number | null> {
    const row = await trx("kernel.asset_versions").where({ tenant_id: tenantId, asset_id: assetId, idempotency_key: key }).first("version");
    return row ? Number(row.version) : null;
  }

  /** The asset an earlier call with this idempotency key created, if any (in the trash or not). */
  async assetIdByKey(tenantId: string, key: string): Promise<string | null> {
    const row = await withTenant(this.db, tenantId, (db) => db("kernel.assets").where({ tenant_id: tenantId, idempotency_key: key }).first("id"));
    return row ? String(row.id) : null;
  }

  async versionRow(tenantId: string, assetId: string, version: number): Promise<(AssetVersion & { blobKey: string }) | null> {
    const r = await withTenant(this.db, tenantId, (db) => db("kernel.asset_versions").where({ tenant_id: tenantId, asset_id: assetId, version }).first());
    return r ? { ...toVersion(r), blobKey: r.blob_key } : null;
  }

  async versions(tenantId: string, assetId: string): Promise<AssetVersion[]> {
    return withTenant(this.db, tenantId, async (db) => {
      const rows = await db("kernel.asset_versions").where({ tenant_id: tenantId, asset_id: assetId }).orderBy("version");
      return rows.map(toVersion);
    });
  }

  async updateVersionMedia(
    tenantId: string,
    assetId: string,
    version: number,
    fields: {
      width?: number | null;
      height?: number | null;
      durationMs?: number | null;
      metadata?: Record<string, unknown>;
      derivatives?: Record<string, Derivative>;
    },
  ): Promise<void> {
    await withTenant(this.db, tenantId, (db) =>
      db("kernel.asset_versions")
        .where({ tenant_id: tenantId, asset_id: assetId, version })
        .update({
          ...(fields.width !== undefined ? { width: fields.width } : {}),
          ...(fields.height !== undefined ? { height: fields.height } : {}),
          ...(fields.durationMs !== undefined ? { duration_ms: fields.durationMs } : {}),
          ...(fields.metadata ? { metadata: JSON.stringify(fields.metadata) } : {}),
          ...(fields.derivatives ? { derivatives: JSON.stringify(fields.derivatives) } : {}),
        }),
    );
  }

  async setStatus(
    tenantId: string,
    assetId: string,
    fields: { status?: Asset["status"]; error?: Asset["error"]; currentVersion?: number; capturedAt?: string | null },
    trx?: Knex,
  ): Promise<void> {
    if (!trx) return withTenant(this.db, tenantId, (db) => this.setStatus(tenantId, assetId, fields, db));
    await trx("kernel.assets")
      .where({ tenant_id: tenantId, id: assetId })
      .update({
        ...(fields.status ? { status: fields.status } : {}),
        ...(fields.error !== undefined ? { error: fields.error ? JSON.stringify(fields.error) : null } : {}),
        ...(fields.currentVersion ? { current_version: fields.currentVersion } : {}),
        ...(fields.capturedAt !== undefined ? { captured_at: fields.capturedAt } : {}),
        updated_at: trx.fn.now(),
      });
  }

  async get(tenantId: string, assetId: string, options: { includeDeleted?: boolean } = {}): Promise<Asset | null> {
    return withTenant(this.db, tenantId, async (db) => {
      if (!/^[0-9a-f-]{36}$/i.test(assetId)) return null;
      const q = db("kernel.assets").where({ tenant_id: tenantId, id: assetId });
      if (!options.includeDeleted) q.whereNull("deleted_at");
      const row = await q.first();
      if (!row) return null;
      return (await this.hydrate(db, tenantId, [row]))[0] ?? null;
    });
  }

  async list(tenantId: string, query: AssetListQuery): Promise<{ assets: Asset[]; nextCursor: string | null }> {
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 200);
    return withTenant(this.db, tenantId, async (db) => {
      const q = db("kernel.assets as a").where("a.tenant_id", tenantId).select("a.*");
      if (query.deleted) q.whereNotNull("a.deleted_at");
      else q.whereNull("a.deleted_at");
      if (query.kind) q.andWhere("a.kind", query.kind);
      if (query.from) q.andWhere("a.created_at", ">=", query.from);
      if (query.to) q.andWhere("a.created_at", "<", query.to);
      if (query.tag) q.whereExists(db("kernel.asset_tags as t").whereRaw("t.asset_id = a.id").andWhere("t.tag", query.tag));
      if (query.projectId) q.whereExists(db("kernel.project_assets as p").whereRaw("p.asset_id = a.id").andWhere("p.project_id", query.projectId));
      if (query.q) {
        const like = `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        q.andWhere((w) => {
          w.whereILike("a.name", like).orWhereExists(db("kernel.asset_tags as t").whereRaw("t.asset_id = a.id").andWhereILike("t.tag", like));
        });
      }
      if (query.cursor) {
        const c = decodeCursor(query.cursor);
        if (c) q.andWhereRaw("(a.created_at, a.id) < (?, ?)", [c.createdAt, c.id]);
      }
      const rows = await q
        .orderBy([
          { column: "a.created_at", order: "desc" },
          { column: "a.id", order: "desc" },
        ])
        .limit(limit + 1);
      const assets = await this.hydrate(db, tenantId, rows.slice(0, limit));
      const last = assets[assets.length - 1];
      return { assets, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
    });
  }

  private async hydrate(db: Knex, tenantId: string, rows: Row[]): Promise<Asset[]> {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.id as string);
    // One after another: a transaction is one connection, and pg refuses overlapping queries on it.
    const tags = await db("kernel.asset_tags").where({ tenant_id: tenantId }).whereIn("asset_id", ids).select("asset_id", "tag");
    const projects = await db("kernel.project_assets").whereIn("asset_id", ids).select("asset_id", "project_id");
    const versions = await db("kernel.asset_versions as v")
      .join("kernel.assets as a", function () {
        this.on("a.id", "=", "v.asset_id").andOn("a.current_version", "=", "v.version");
      })
      .where("v.tenant_id", tenantId)
      .whereIn("v.asset_id", ids)
      .select("v.*");
    return rows.map((r) => ({
      id: r.id as string,
      tenantId: r.tenant_id as string,
      kind: r.kind as AssetKind,
      name: r.name as string,
      status: r.status as Asset["status"],
      currentVersion: Number(r.current_version),
      tags: tags
        .filter((t) => t.asset_id === r.id)
        .map((t) => t.tag as string)
        .sort(),
      projectIds: projects.filter((p) => p.asset_id === r.id).map((p) => p.project_id as string),
      error: (r.error as Asset["error"]) ?? null,
      capturedAt: iso(r.captured_at),
      createdAt: iso(r.created_at) as string,
      updatedAt: iso(r.updated_at) as string,
      deletedAt: iso(r.deleted_at),
      version: (() => {
        const v = versions.find((x) => x.asset_id === r.id);
        return v ? toVersion(v) : null;
      })(),
    }));
  }

  async update(tenantId: string, assetId: string, fields: { name?: string; tags?: string[] }) {
    return withTenant(this.db, tenantId, async (trx) => {
      if (fields.name) await trx("kernel.assets").where({ tenant_id: tenantId, id: assetId }).update({ name: fields.name, updated_at: trx.fn.now() });
      if (fields.tags) {
        await trx("kernel.asset_tags").where({ tenant_id: tenantId, asset_id: assetId }).delete();
        if (fields.tags.length) await trx("kernel.asset_tags").insert(fields.tags.map((tag) => ({ asset_id: assetId, tenant_id: tenantId, tag })));
      }
    });
  }

  async setDeleted(tenantId: string, assetId: string, deleted: boolean): Promise<boolean> {
    return withTenant(this.db, tenantId, async (db) => {
      const n = await db("kernel.assets")
        .where({ tenant_id: tenantId, id: assetId })
        .update({ deleted_at: deleted ? db.fn.now() : null, updated_at: db.fn.now() });
      return n > 0;
    });
  }

  async deleteAsset(tenantId: string, assetId: string) {
    return withTenant(this.db, tenantId, async (db) => {
      await db("kernel.assets").where({ tenant_id: tenantId, id: assetId }).delete();
    });
  }

  async nextVersion(trx: Knex.Transaction, tenantId: string, assetId: string): Promise<number> {
    // Lock the asset row so two edits never take the same version number.
    const row = await trx("kernel.assets").where({ tenant_id: tenantId, id: assetId }).whereNull("deleted_at").forUpdate().first("id");
    if (!row) return 0;
    const max = await trx("kernel.asset_versions").where({ asset_id: assetId }).max<{ max: number | null }[]>("version as max");
    return (max[0]?.max ?? 0) + 1;
  }

  // Projects and albums.
  async createProject(tenantId: string, kind: "album" | "project", name: string) {
    return withTenant(this.db, tenantId, async (db) => {
      const [row] = await db("kernel.projects").insert({ tenant_id: tenantId, kind, name }).returning(["id", "kind", "name", "created_at"]);
      return { id: row.id as string, kind: row.kind as string, name: row.name as string, createdAt: iso(row.created_at) };
    });
  }

  async listProjects(tenantId: string) {
    return withTenant(this.db, tenantId, async (db) => {
      const rows = await db("kernel.projects as p")
        .where("p.tenant_id", tenantId)
        .leftJoin("kernel.project_assets as pa", "pa.project_id", "p.id")
        .groupBy("p.id")
        .orderBy("p.created_at")
        .select("p.id", "p.kind", "p.name", "p.created_at")
        .count<Row[]>("pa.asset_id as asset_count");
      return rows.map((r) => ({
        id: r.id as string,
        kind: r.kind as string,
        name: r.name as string,
        createdAt: iso(r.created_at),
        assetCount: Number(r.asset_count),
      }));
    });
  }

  async projectExists(tenantId: string, projectId: string): Promise<boolean> {
    return withTenant(this.db, tenantId, async (db) => {
      if (!/^[0-9a-f-]{36}$/i.test(projectId)) return false;
      return Boolean(await db("kernel.projects").where({ tenant_id: tenantId, id: projectId }).first("id"));
    });
  }

  async addToProject(tenantId: string, projectId: string, assetIds: string[]): Promise<number> {
    return withTenant(this.db, tenantId, async (db) => {
      const owned = await db("kernel.assets").where({ tenant_id: tenantId }).whereIn("id", assetIds).pluck("id");
      if (!owned.length) return 0;
      await db("kernel.project_assets")
        .insert(owned.map((id: string) => ({ project_id: projectId, asset_id: id })))
        .onConflict(["project_id", "asset_id"])
        .ignore();
      return owned.length;
    });
  }

  async removeFromProject(tenantId: string, projectId: string, assetIds: string[]) {
    return withTenant(this.db, tenantId, async (db) => {
      const owned = await db("kernel.assets").where({ tenant_id: tenantId }).whereIn("id", assetIds).pluck("id");
      await db("kernel.project_assets").where({ project_id: projectId }).whereIn("asset_id", owned).delete();
    });
  }
}
