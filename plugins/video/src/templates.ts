import { randomUUID } from "node:crypto";
import type { PluginContext } from "@crealia/kernel/sdk";
import { videoError } from "./errors.js";
import { checkDoc } from "./model/commands.js";
import { type Clip, clipDuration, type ProjectDoc } from "./model/types.js";
import { mediaFacts, type ProjectService, type ProjectView } from "./projects.js";

export interface TemplateSlot {
  id: string;
  kind: "media" | "text";
  clipId: string;
  label: string;
}

export interface TemplateView {
  id: string;
  name: string;
  slots: TemplateSlot[];
  durationS: number;
  createdAt: string;
}

const json = <T>(v: T | string): T => (typeof v === "string" ? (JSON.parse(v) as T) : v);

function findClip(doc: ProjectDoc, clipId: string): Clip | undefined {
  for (const t of doc.tracks) for (const c of t.clips) if (c.id === clipId) return c;
  return undefined;
}

/** A project saved with placeholders (media and text slots), instantiated with new media and text. */
export class TemplateService {
  constructor(
    private readonly ctx: PluginContext,
    private readonly projects: ProjectService,
  ) {}

  async save(
    tenantId: string,
    projectId: string,
    input: { name: string; slots: { id: string; kind: "media" | "text"; clipId: string; label?: string }[] },
  ): Promise<TemplateView> {
    const { doc } = await this.projects.docAt(tenantId, projectId);
    const ids = new Set<string>();
    const slots: TemplateSlot[] = input.slots.map((s) => {
      if (ids.has(s.id)) throw videoError("VIDEO_INVALID_COMMAND", `slot ${s.id} is named twice`);
      ids.add(s.id);
      const clip = findClip(doc, s.clipId);
      if (!clip) throw videoError("VIDEO_CLIP_NOT_FOUND", `slot ${s.id}: no clip ${s.clipId}`);
      if (s.kind === "text" ? clip.media !== "text" : clip.media === "text")
        throw videoError("VIDEO_ASSET_KIND", `slot ${s.id}: clip ${s.clipId} is a ${clip.media} clip, not a ${s.kind} one`);
      return { id: s.id, kind: s.kind, clipId: s.clipId, label: s.label ?? s.id };
    });
    const id = randomUUID();
    const row = await this.ctx.db.transaction(
      async (trx) =>
        (
          await trx("templates")
            .insert({ id, tenant_id: tenantId, name: input.name, doc: JSON.stringify(doc), slots: JSON.stringify(slots) })
            .returning("*")
        )[0],
      { tenantId },
    );
    return this.view(row);
  }

  private view(row: { id: string; name: string; doc: unknown; slots: unknown; created_at: Date | string }): TemplateView {
    const doc = json<ProjectDoc>(row.doc as string);
    const end = Math.max(0, ...doc.tracks.flatMap((t) => t.clips.map((c) => c.start + clipDuration(c))));
    return { id: row.id, name: row.name, slots: json<TemplateSlot[]>(row.slots as string), durationS: end, createdAt: new Date(row.created_at).toISOString() };
  }

  async list(tenantId: string): Promise<TemplateView[]> {
    const rows = await this.ctx.db.transaction((trx) => trx("templates").where({ tenant_id: tenantId }).orderBy("created_at", "desc"), { tenantId });
    return rows.map((r: Parameters<TemplateService["view"]>[0]) => this.view(r));
  }

  private async row(tenantId: string, id: string) {
    const row = /^[0-9a-f-]{36}$/i.test(id)
      ? await this.ctx.db.transaction((trx) => trx("templates").where({ tenant_id: tenantId, id }).first(), { tenantId })
      : null;
    if (!row) throw videoError("VIDEO_TEMPLATE_NOT_FOUND", `no template ${id}`);
    return row;
  }

  async get(tenantId: string, id: string): Promise<TemplateView> {
    return this.view(await this.row(tenantId, id));
  }

  /** A new project from the template, each slot filled: media slots with an asset id, text slots with text. */
  async instantiate(tenantId: string, id: string, input: { name?: string; values: Record<string, string> }): Promise<ProjectView> {
    const row = await this.row(tenantId, id);
    const doc = json<ProjectDoc>(row.doc);
    const slots = json<TemplateSlot[]>(row.slots);
    const missing = slots.filter((s) => typeof input.values[s.id] !== "string" || input.values[s.id] === "").map((s) => s.id);
    if (missing.length) throw videoError("VIDEO_SLOT_MISSING", `slots without a value: ${missing.join(", ")}`, { missing });
    const facts = await mediaFacts(
      this.ctx,
      tenantId,
      slots.filter((s) => s.kind === "media").map((s) => input.values[s.id] as string),
    );
    for (const s of slots) {
      const clip = findClip(doc, s.clipId) as Clip;
      const value = input.values[s.id] as string;
      if (s.kind === "text") {
        if (value.length > 500) throw videoError("VIDEO_INVALID_COMMAND", `slot ${s.id}: text is too long`);
        if (clip.text) clip.text.content = value;
        continue;
      }
      const f = facts.get(value);
      if (!f) throw videoError("VIDEO_ASSET_NOT_FOUND", `slot ${s.id}: no asset ${value}`);
      if (f.status === "failed") throw videoError("VIDEO_ASSET_NOT_READY", `slot ${s.id}: asset ${value} failed to process`);
      const wasStill = clip.media === "image";
      if (f.kind === "audio" && clip.media !== "audio") throw videoError("VIDEO_ASSET_KIND", `slot ${s.id} takes a picture, not audio`);
      if (f.kind !== "audio" && clip.media === "audio" && f.kind !== "video") throw videoError("VIDEO_ASSET_KIND", `slot ${s.id} takes audio`);
      const slotLength = clipDuration(clip);
      clip.assetId = value;
      if (f.kind === "image") {
        clip.media = "image";
        clip.in = 0;
        clip.out = slotLength;
        clip.speed = 1;
        clip.sourceDuration = null;
      } else {
        clip.media = f.kind;
        clip.kenBurns = null;
        clip.in = 0;
        clip.speed = wasStill ? 1 : clip.speed;
        clip.out = Math.round(slotLength * clip.speed * 1e6) / 1e6;
        clip.sourceDuration = f.durationS;
        if (f.durationS !== null && clip.out > f.durationS + 1e-4)
          throw videoError("VIDEO_OUT_OF_RANGE", `slot ${s.id} needs ${clip.out}s of media; asset ${value} has ${f.durationS}s`);
      }
    }
    if (input.name) doc.name = input.name;
    checkDoc(doc);
    return this.projects.create(tenantId, {}, doc);
  }
}
