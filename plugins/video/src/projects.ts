import { randomUUID } from "node:crypto";
import type { Knex, PluginContext } from "@crealia/kernel/sdk";
import { videoError } from "./errors.js";
import { applyCommand, assetIdsOf, type Command, type MediaFacts, newProject } from "./model/commands.js";
import { type ProjectDoc, projectDuration, resolutionFor } from "./model/types.js";

export interface ProjectView {
  id: string;
  name: string;
  revision: number;
  canUndo: boolean;
  canRedo: boolean;
  durationS: number;
  doc: ProjectDoc;
  createdAt: string;
  updatedAt: string;
}

interface ProjectRow {
  id: string;
  tenant_id: string;
  name: string;
  doc: ProjectDoc | string;
  head: number;
  top: number;
  created_at: Date | string;
  updated_at: Date | string;
}

const json = <T>(v: T | string): T => (typeof v === "string" ? (JSON.parse(v) as T) : v);
const iso = (v: Date | string) => new Date(v).toISOString();

function view(row: ProjectRow): ProjectView {
  const doc = json<ProjectDoc>(row.doc);
  return {
    id: row.id,
    name: row.name,
    revision: row.head,
    canUndo: row.head > 0,
    canRedo: row.head < row.top,
    durationS: Math.round(projectDuration(doc) * 1e6) / 1e6,
    doc,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/** What the plugin knows of an asset, for commands: kind, status and length. */
export async function mediaFacts(ctx: PluginContext, tenantId: string, ids: string[]): Promise<Map<string, MediaFacts | null>> {
  const out = new Map<string, MediaFacts | null>();
  for (const id of new Set(ids)) {
    const uuid = /^[0-9a-f-]{36}$/i.test(id);
    const a = uuid ? await ctx.assets.get(tenantId, id) : null;
    out.set(id, a ? { kind: a.kind, status: a.status, durationS: a.durationMs === null ? null : a.durationMs / 1000 } : null);
  }
  return out;
}

/** Projects and their revision history (undo/redo), stored in the plugin's schema per tenant. */
export class ProjectService {
  constructor(private readonly ctx: PluginContext) {}

  private tx<T>(tenantId: string, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.ctx.db.transaction(fn, { tenantId });
  }

  async create(tenantId: string, input: Record<string, unknown>, doc?: ProjectDoc): Promise<ProjectView> {
    const d = doc ?? newProject(input, resolutionFor);
    const id = randomUUID();
    return this.tx(tenantId, async (trx) => {
      const [row] = await trx("projects")
        .insert({ id, tenant_id: tenantId, name: d.name, doc: JSON.stringify(d), head: 0, top: 0 })
        .returning("*");
      await trx("project_revisions").insert({ project_id: id, tenant_id: tenantId, revision: 0, doc: JSON.stringify(d), command: null });
      return view(row as ProjectRow);
    });
  }

  async list(tenantId: string): Promise<Omit<ProjectView, "doc">[]> {
    const rows = await this.tx(tenantId, (trx) => trx("projects").where({ tenant_id: tenantId }).orderBy("updated_at", "desc").limit(200));
    return (rows as ProjectRow[]).map((r) => {
      const { doc: _doc, ...rest } = view(r);
      return rest;
    });
  }

  async get(tenantId: string, id: string): Promise<ProjectView> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw videoError("VIDEO_PROJECT_NOT_FOUND", `no project ${id}`);
    const row = await this.tx(tenantId, (trx) => trx("projects").where({ tenant_id: tenantId, id }).first());
    if (!row) throw videoError("VIDEO_PROJECT_NOT_FOUND", `no project ${id}`);
    return view(row as ProjectRow);
  }

  async delete(tenantId: string, id: string): Promise<void> {
    await this.get(tenantId, id);
    await this.tx(tenantId, (trx) => trx("projects").where({ tenant_id: tenantId, id }).delete());
  }

  /** Applies commands in order as one revision (all or nothing). */
  async execute(tenantId: string, id: string, commands: Command[], expectedRevision?: number): Promise<ProjectView> {
    const current = await this.get(tenantId, id);
    const media = await mediaFacts(this.ctx, tenantId, commands.flatMap(assetIdsOf));
    return this.tx(tenantId, async (trx) => {
      const row = (await trx("projects").where({ tenant_id: tenantId, id }).forUpdate().first()) as ProjectRow | undefined;
      if (!row) throw videoError("VIDEO_PROJECT_NOT_FOUND", `no project ${id}`);
      if (expectedRevision !== undefined && row.head !== expectedRevision)
        throw videoError("VIDEO_REVISION_CONFLICT", `the project is at revision ${row.head}, not ${expectedRevision}`, { revision: row.head });
      let doc = row.head === current.revision ? current.doc : json<ProjectDoc>(row.doc);
      for (const cmd of commands) doc = applyCommand(doc, cmd, media);
      const next = row.head + 1;
      await trx("project_revisions").where({ project_id: id }).andWhere("revision", ">=", next).delete();
      await trx("project_revisions").insert({
        project_id: id,
        tenant_id: tenantId,
        revision: next,
        doc: JSON.stringify(doc),
        command: JSON.stringify(commands),
      });
      const [updated] = await trx("projects")
        .where({ tenant_id: tenantId, id })
        .update({ doc: JSON.stringify(doc), name: doc.name, head: next, top: next, updated_at: trx.fn.now() })
        .returning("*");
      return view(updated as ProjectRow);
    });
  }

  async step(tenantId: string, id: string, direction: "undo" | "redo"): Promise<ProjectView> {
    await this.get(tenantId, id);
    return this.tx(tenantId, async (trx) => {
      const row = (await trx("projects").where({ tenant_id: tenantId, id }).forUpdate().first()) as ProjectRow;
      const target = direction === "undo" ? row.head - 1 : row.head + 1;
      if (target < 0) throw videoError("VIDEO_NOTHING_TO_UNDO", "nothing to undo");
      if (target > row.top) throw videoError("VIDEO_NOTHING_TO_REDO", "nothing to redo");
      const rev = await trx("project_revisions").where({ project_id: id, revision: target }).first();
      const [updated] = await trx("projects")
        .where({ tenant_id: tenantId, id })
        .update({ doc: JSON.stringify(json(rev.doc)), name: json<ProjectDoc>(rev.doc).name, head: target, updated_at: trx.fn.now() })
        .returning("*");
      return view(updated as ProjectRow);
    });
  }

  /** The document at a revision (the current one by default). */
  async docAt(tenantId: string, id: string, revision?: number): Promise<{ doc: ProjectDoc; revision: number }> {
    const p = await this.get(tenantId, id);
    if (revision === undefined || revision === p.revision) return { doc: p.doc, revision: p.revision };
    const rev = await this.tx(tenantId, (trx) => trx("project_revisions").where({ project_id: id, revision }).first());
    if (!rev) throw videoError("VIDEO_PROJECT_NOT_FOUND", `project ${id} has no revision ${revision}`);
    return { doc: json<ProjectDoc>(rev.doc), revision };
  }
}
