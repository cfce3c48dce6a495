/** The tenant's own presets (the built-in ones live in code and cannot change). */
import type { Knex, PluginDatabase } from "@crealia/kernel/sdk";
import { filtersError } from "../errors.js";
import { BUILTIN_PRESETS, isBuiltinId } from "../presets/builtin.js";
import { parsePatch } from "../recipe/recipe.js";
import type { RecipePatch } from "../recipe/schema.js";

export interface Preset {
  id: string;
  name: string;
  description: string | null;
  group: string;
  builtIn: boolean;
  recipe: RecipePatch;
  createdAt: string | null;
  updatedAt: string | null;
}

interface Row {
  id: string;
  name: string;
  description: string | null;
  group: string;
  recipe: unknown;
  created_at: Date | string;
  updated_at: Date | string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const iso = (v: Date | string) => (v instanceof Date ? v.toISOString() : new Date(v).toISOString());

function fromRow(r: Row): Preset {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    group: r.group,
    builtIn: false,
    recipe: parsePatch(typeof r.recipe === "string" ? JSON.parse(r.recipe) : r.recipe),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

export const builtinPresets = (): Preset[] =>
  BUILTIN_PRESETS.map((p) => ({ ...p, builtIn: true, recipe: structuredClone(p.recipe), createdAt: null, updatedAt: null }));

const isUniqueViolation = (err: unknown) => (err as { code?: string })?.code === "23505";

export interface PresetInput {
  name: string;
  description?: string | null;
  group?: string | null;
  recipe: RecipePatch;
}

export class PresetStore {
  constructor(private readonly db: PluginDatabase) {}

  private tx<T>(tenantId: string, fn: (trx: Knex.Transaction) => Promise<T>) {
    return this.db.transaction(fn, { tenantId });
  }

  /** Built-in presets first, then the tenant's by name. */
  async list(tenantId: string): Promise<Preset[]> {
    const rows = await this.tx(tenantId, (trx) => trx("presets").where({ tenant_id: tenantId }).orderBy("name"));
    return [...builtinPresets(), ...rows.map(fromRow)];
  }

  async get(tenantId: string, id: string): Promise<Preset> {
    if (isBuiltinId(id)) {
      const p = builtinPresets().find((b) => b.id === id);
      if (p) return p;
    } else if (UUID.test(id)) {
      const row = await this.tx(tenantId, (trx) => trx("presets").where({ tenant_id: tenantId, id }).first());
      if (row) return fromRow(row);
    }
    throw filtersError("FILTERS_PRESET_NOT_FOUND", `there is no preset ${id}`);
  }

  async create(tenantId: string, input: PresetInput, userId: string | null): Promise<Preset> {
    try {
      const [row] = await this.tx(tenantId, (trx) =>
        trx("presets")
          .insert({
            tenant_id: tenantId,
            name: input.name,
            description: input.description ?? null,
            group: input.group || "User presets",
            recipe: JSON.stringify(input.recipe),
            created_by: userId,
          })
          .returning("*"),
      );
      return fromRow(row as Row);
    } catch (err) {
      if (isUniqueViolation(err)) throw filtersError("FILTERS_PRESET_EXISTS", `a preset named "${input.name}" already exists`);
      throw err;
    }
  }

  async update(tenantId: string, id: string, patch: Partial<PresetInput>): Promise<Preset> {
    if (isBuiltinId(id) || !UUID.test(id)) throw filtersError("FILTERS_PRESET_NOT_FOUND", `there is no user preset ${id} (built-in presets cannot be changed)`);
    const values: Record<string, unknown> = { updated_at: new Date() };
    if (patch.name !== undefined) values.name = patch.name;
    if (patch.description !== undefined) values.description = patch.description;
    if (patch.group !== undefined) values.group = patch.group || "User presets";
    if (patch.recipe !== undefined) values.recipe = JSON.stringify(patch.recipe);
    try {
      const [row] = await this.tx(tenantId, (trx) => trx("presets").where({ tenant_id: tenantId, id }).update(values).returning("*"));
      if (!row) throw filtersError("FILTERS_PRESET_NOT_FOUND", `there is no preset ${id}`);
      return fromRow(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw filtersError("FILTERS_PRESET_EXISTS", `a preset named "${patch.name}" already exists`);
      throw err;
    }
  }

  async delete(tenantId: string, id: string): Promise<void> {
    if (isBuiltinId(id) || !UUID.test(id)) throw filtersError("FILTERS_PRESET_NOT_FOUND", `there is no user preset ${id} (built-in presets cannot be deleted)`);
    const gone = await this.tx(tenantId, (trx) => trx("presets").where({ tenant_id: tenantId, id }).delete().returning("id"));
    if (!gone.length) throw filtersError("FILTERS_PRESET_NOT_FOUND", `there is no preset ${id}`);
  }

  /** A free name: `name`, else `name (2)`, `name (3)`… (importing a preset twice). */
  async freeName(tenantId: string, name: string): Promise<string> {
    const taken = new Set(
      (await this.tx(tenantId, (trx) =>
        trx("presets")
          .where({ tenant_id: tenantId })
          .where("name", "like", `${name.replace(/[%_\\]/g, "\\$&")}%`)
          .pluck("name"),
      )) as string[],
    );
    if (!taken.has(name)) return name;
    for (let i = 2; ; i++) if (!taken.has(`${name} (${i})`)) return `${name} (${i})`;
  }
}
