/**
 * Recipes per asset and their history, server-side: every save is a revision; undo and redo move
 * the current revision; a save after an undo drops the revisions after it (as in any editor).
 * Revision 0 is the neutral recipe (the photo as it is).
 */
import type { Knex, PluginDatabase } from "@crealia/kernel/sdk";
import { filtersError } from "../errors.js";
import { compactRecipe, parseRecipe } from "../recipe/recipe.js";
import { neutralRecipe, type Recipe } from "../recipe/schema.js";

export interface RecipeState {
  assetId: string;
  /** The asset version the recipe develops (its original unless chosen otherwise). */
  sourceVersion: number;
  revision: number;
  head: number;
  canUndo: boolean;
  canRedo: boolean;
  recipe: Recipe;
  updatedAt: string | null;
}

export interface HistoryEntry {
  revision: number;
  label: string;
  createdAt: string;
}

interface Row {
  asset_id: string;
  source_version: number;
  revision: number;
  head: number;
  recipe: unknown;
  updated_at: Date | string;
}

const iso = (v: Date | string) => (v instanceof Date ? v.toISOString() : new Date(v).toISOString());
const json = (v: unknown) => JSON.stringify(v);
const parse = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v);

function state(row: Row | undefined, assetId: string, fallbackVersion: number): RecipeState {
  if (!row) {
    return { assetId, sourceVersion: fallbackVersion, revision: 0, head: 0, canUndo: false, canRedo: false, recipe: neutralRecipe(), updatedAt: null };
  }
  return {
    assetId,
    sourceVersion: row.source_version,
    revision: row.revision,
    head: row.head,
    canUndo: row.revision > 0,
    canRedo: row.revision < row.head,
    recipe: parseRecipe(parse(row.recipe)),
    updatedAt: iso(row.updated_at),
  };
}

export class RecipeStore {
  constructor(private readonly db: PluginDatabase) {}

  private tx<T>(tenantId: string, fn: (trx: Knex.Transaction) => Promise<T>) {
    return this.db.transaction(fn, { tenantId });
  }

  /** The asset's recipe, or the neutral one (revision 0) when it was never developed. */
  async get(tenantId: string, assetId: string, currentVersion: number): Promise<RecipeState> {
    const row = await this.tx(tenantId, (trx) => trx("recipes").where({ tenant_id: tenantId, asset_id: assetId }).first());
    return state(row, assetId, currentVersion);
  }

  /** The recipes of many assets at once (batch); assets never developed are missing from the map. */
  async getMany(tenantId: string, assetIds: string[]): Promise<Map<string, RecipeState>> {
    const rows = await this.tx(tenantId, (trx) => trx("recipes").where({ tenant_id: tenantId }).whereIn("asset_id", assetIds));
    return new Map(rows.map((r) => [r.asset_id, state(r, r.asset_id, r.source_version)]));
  }

  /**
   * Saves a new revision. With `baseRevision`, refuses (409) when the recipe moved on since the
   * client read it, so two tabs cannot silently overwrite each other.
   */
  async save(
    tenantId: string,
    assetId: string,
    recipe: Recipe,
    options: { label: string; userId: string | null; sourceVersion?: number; defaultSourceVersion: number; baseRevision?: number },
  ): Promise<RecipeState> {
    const compact = compactRecipe(recipe);
    const row = await this.tx(tenantId, async (trx) => {
      const current = await trx("recipes").where({ tenant_id: tenantId, asset_id: assetId }).forUpdate().first();
      const revision = current?.revision ?? 0;
      if (options.baseRevision !== undefined && options.baseRevision !== revision) {
        throw filtersError(
          "FILTERS_REVISION_CONFLICT",
          `the recipe is at revision ${revision}, not ${options.baseRevision}: reload it and apply the change again`,
          {
            revision,
          },
        );
      }
      const next = revision + 1;
      await trx("recipe_history").where({ tenant_id: tenantId, asset_id: assetId }).where("revision", ">", revision).delete();
      await trx("recipe_history").insert({
        tenant_id: tenantId,
        asset_id: assetId,
        revision: next,
        label: options.label.slice(0, 200),
        recipe: json(compact),
        created_by: options.userId,
      });
      const values = {
        source_version: options.sourceVersion ?? current?.source_version ?? options.defaultSourceVersion,
        revision: next,
        head: next,
        recipe: json(compact),
        updated_by: options.userId,
        updated_at: trx.fn.now(),
      };
      const [saved] = current
        ? await trx("recipes").where({ tenant_id: tenantId, asset_id: assetId }).update(values).returning("*")
        : await trx("recipes")
            .insert({ tenant_id: tenantId, asset_id: assetId, ...values })
            .returning("*");
      return saved as Row;
    });
    return state(row, assetId, options.defaultSourceVersion);
  }

  /** Moves the current revision one step back (`-1`, undo) or forward (`+1`, redo). */
  async step(tenantId: string, assetId: string, direction: -1 | 1, currentVersion: number): Promise<RecipeState> {
    const row = await this.tx(tenantId, async (trx) => {
      const current = await trx("recipes").where({ tenant_id: tenantId, asset_id: assetId }).forUpdate().first();
      const revision = current?.revision ?? 0;
      const target = revision + direction;
      if (!current || target < 0 || target > current.head) {
        throw filtersError("FILTERS_NOTHING_TO_UNDO", direction < 0 ? "there is nothing to undo" : "there is nothing to redo");
      }
      const entry = target === 0 ? null : await trx("recipe_history").where({ tenant_id: tenantId, asset_id: assetId, revision: target }).first();
      const [saved] = await trx("recipes")
        .where({ tenant_id: tenantId, asset_id: assetId })
        .update({ revision: target, recipe: entry ? json(parse(entry.recipe)) : json({}), updated_at: trx.fn.now() })
        .returning("*");
      return saved as Row;
    });
    return state(row, assetId, currentVersion);
  }

  async history(tenantId: string, assetId: string): Promise<HistoryEntry[]> {
    const rows = await this.tx(tenantId, (trx) =>
      trx("recipe_history").where({ tenant_id: tenantId, asset_id: assetId }).orderBy("revision").select("revision", "label", "created_at"),
    );
    return rows.map((r) => ({ revision: r.revision, label: r.label, createdAt: iso(r.created_at) }));
  }
}
