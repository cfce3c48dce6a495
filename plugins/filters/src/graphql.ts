/** The GraphQL extension: `Filters*` types and `filters*` fields, the same operations as the routes. */
import type { Identity, JobRecord, PluginContext } from "@crealia/kernel/sdk";
import { PLATFORMS } from "./export/options.js";
import { paramTable, RECIPE_SCHEMA, RECIPE_VERSION, recipeJsonSchema } from "./recipe/schema.js";
import type { FiltersService } from "./service.js";

export const TYPE_DEFS = /* GraphQL */ `
  "A recipe as the asset has it now, and where its history stands (revision 0: the photo as it is)."
  type FiltersRecipeState {
    assetId: ID!
    sourceVersion: Int!
    revision: Int!
    head: Int!
    canUndo: Boolean!
    canRedo: Boolean!
    recipe: JSON!
    updatedAt: String
  }
  type FiltersHistoryEntry {
    revision: Int!
    label: String!
    createdAt: String!
  }
  type FiltersPreset {
    id: ID!
    name: String!
    description: String
    group: String!
    builtIn: Boolean!
    "A partial recipe: applying the preset changes only what it names."
    recipe: JSON!
  }
  type FiltersPlatform {
    id: ID!
    label: String!
    width: Int!
    height: Int!
    format: String!
    quality: Int!
    maxBytes: Int!
  }
  type FiltersLut {
    id: ID!
    name: String!
    title: String
    kind: String!
    size: Int!
  }
  type FiltersMaskProvider {
    id: ID!
    plugin: String!
    name: String!
    label: String!
    description: String
  }
  type FiltersAutoResult {
    "The recipe patch auto-enhance computed from the histogram."
    patch: JSON!
    "The saved state when apply was true."
    state: FiltersRecipeState
  }
  type FiltersBatch {
    job: Job!
    children: [Job!]!
  }
  extend type Query {
    filtersRecipe(assetId: ID!): FiltersRecipeState!
    filtersHistory(assetId: ID!): [FiltersHistoryEntry!]!
    filtersPresets: [FiltersPreset!]!
    filtersPreset(id: ID!): FiltersPreset
    filtersPresetDocument(id: ID!): JSON!
    filtersPlatforms: [FiltersPlatform!]!
    filtersLuts: [FiltersLut!]!
    filtersMaskProviders: [FiltersMaskProvider!]!
    "The recipe's JSON Schema and the range, step and default of every parameter."
    filtersRecipeSchema: JSON!
  }
  extend type Mutation {
    filtersSaveRecipe(assetId: ID!, recipe: JSON!, label: String, baseRevision: Int): FiltersRecipeState!
    filtersUndo(assetId: ID!): FiltersRecipeState!
    filtersRedo(assetId: ID!): FiltersRecipeState!
    filtersApplyPreset(assetId: ID!, presetId: ID!): FiltersRecipeState!
    filtersAutoEnhance(assetId: ID!, apply: Boolean = false): FiltersAutoResult!
    filtersCreatePreset(name: String!, recipe: JSON!, description: String, group: String): FiltersPreset!
    filtersUpdatePreset(id: ID!, name: String, recipe: JSON, description: String, group: String): FiltersPreset!
    filtersDeletePreset(id: ID!): Boolean!
    filtersImportPreset(document: JSON!, rename: Boolean = false): FiltersPreset!
    filtersImportLut(name: String!, cube: String!): FiltersLut!
    filtersExport(assetId: ID!, options: JSON, recipe: JSON): Job!
    filtersBatch(assetIds: [ID!]!, recipe: JSON, presetId: ID, mode: String, groups: [String!], export: JSON, label: String): FiltersBatch!
    filtersSync(sourceAssetId: ID!, targetAssetIds: [ID!]!, groups: [String!]): FiltersBatch!
  }
`;

type Ctx = { identity: Identity };
type Args = Record<string, unknown>;
const str = (v: unknown) => (v === null || v === undefined ? undefined : String(v));
const batch = (b: { parent: JobRecord; children: JobRecord[] }) => ({ job: b.parent, children: b.children });

export function registerGraphQL(ctx: PluginContext, service: FiltersService) {
  const t = (c: Ctx) => c.identity.tenantId;
  const u = (c: Ctx) => c.identity.userId;
  ctx.graphql.extend(TYPE_DEFS, {
    Query: {
      filtersRecipe: (_: unknown, a: Args, c: Ctx) => service.getRecipe(t(c), String(a.assetId)),
      filtersHistory: (_: unknown, a: Args, c: Ctx) => service.history(t(c), String(a.assetId)),
      filtersPresets: (_: unknown, _a: Args, c: Ctx) => service.presets.list(t(c)),
      filtersPreset: async (_: unknown, a: Args, c: Ctx) => service.presets.get(t(c), String(a.id)).catch(() => null),
      filtersPresetDocument: (_: unknown, a: Args, c: Ctx) => service.exportPreset(t(c), String(a.id)),
      filtersPlatforms: () => PLATFORMS,
      filtersLuts: (_: unknown, _a: Args, c: Ctx) => service.luts.list(t(c)),
      filtersMaskProviders: () => service.maskProviders(),
      filtersRecipeSchema: () => ({ schema: RECIPE_SCHEMA, version: RECIPE_VERSION, jsonSchema: recipeJsonSchema(), params: paramTable() }),
    },
    Mutation: {
      filtersSaveRecipe: (_: unknown, a: Args, c: Ctx) =>
        service.saveRecipe(t(c), String(a.assetId), a.recipe, {
          label: str(a.label),
          baseRevision: (a.baseRevision as number | null) ?? undefined,
          userId: u(c),
        }),
      filtersUndo: (_: unknown, a: Args, c: Ctx) => service.step(t(c), String(a.assetId), -1),
      filtersRedo: (_: unknown, a: Args, c: Ctx) => service.step(t(c), String(a.assetId), 1),
      filtersApplyPreset: (_: unknown, a: Args, c: Ctx) => service.applyPreset(t(c), String(a.assetId), String(a.presetId), u(c)),
      filtersAutoEnhance: (_: unknown, a: Args, c: Ctx) => service.autoEnhance(t(c), String(a.assetId), a.apply === true, u(c)),
      filtersCreatePreset: (_: unknown, a: Args, c: Ctx) =>
        service.createPreset(t(c), { name: a.name, recipe: a.recipe, description: a.description, group: a.group }, u(c)),
      filtersUpdatePreset: (_: unknown, a: Args, c: Ctx) =>
        service.updatePreset(t(c), String(a.id), { name: a.name ?? undefined, recipe: a.recipe ?? undefined, description: a.description, group: a.group }),
      filtersDeletePreset: async (_: unknown, a: Args, c: Ctx) => {
        await service.presets.delete(t(c), String(a.id));
        return true;
      },
      filtersImportPreset: (_: unknown, a: Args, c: Ctx) => service.importPreset(t(c), a.document, { rename: a.rename === true }, u(c)),
      filtersImportLut: (_: unknown, a: Args, c: Ctx) => service.importLut(t(c), String(a.name), String(a.cube)),
      filtersExport: (_: unknown, a: Args, c: Ctx) =>
        service.enqueueExport(t(c), String(a.assetId), { options: a.options ?? undefined, recipe: a.recipe ?? undefined }, u(c)),
      filtersBatch: async (_: unknown, a: Args, c: Ctx) =>
        batch(
          await service.enqueueBatch(
            t(c),
            {
              assetIds: a.assetIds as string[],
              recipe: a.recipe ?? undefined,
              presetId: str(a.presetId),
              mode: (str(a.mode) as "merge" | "replace" | undefined) ?? undefined,
              groups: (a.groups as string[] | null) ?? undefined,
              export: a.export ?? undefined,
              label: str(a.label),
            },
            u(c),
          ),
        ),
      filtersSync: async (_: unknown, a: Args, c: Ctx) =>
        batch(await service.sync(t(c), String(a.sourceAssetId), a.targetAssetIds as string[], (a.groups as string[] | null) ?? undefined, u(c))),
    },
  });
}
