import { addTenantPolicy } from "@crealia/kernel/sdk";
import type { Knex } from "knex";

/**
 * The filters plugin's tables, in its own schema. Every table is a tenant's: `tenant_id` plus the
 * kernel's row-level security policy, so a query without a tenant sees nothing.
 */
export async function up(knex: Knex) {
  // One row per developed asset: where its history stands.
  await knex.schema.createTable("recipes", (t) => {
    t.uuid("tenant_id").notNullable();
    t.uuid("asset_id").notNullable();
    t.integer("source_version").notNullable();
    t.integer("revision").notNullable();
    t.integer("head").notNullable();
    t.jsonb("recipe").notNullable();
    t.uuid("updated_by");
    t.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(["tenant_id", "asset_id"]);
  });
  await addTenantPolicy(knex, "recipes");

  // Every saved state of a recipe (undo/redo walks it; a save after an undo drops the redo branch).
  await knex.schema.createTable("recipe_history", (t) => {
    t.uuid("tenant_id").notNullable();
    t.uuid("asset_id").notNullable();
    t.integer("revision").notNullable();
    t.text("label").notNullable();
    t.jsonb("recipe").notNullable();
    t.uuid("created_by");
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(["tenant_id", "asset_id", "revision"]);
  });
  await addTenantPolicy(knex, "recipe_history");

  await knex.schema.createTable("presets", (t) => {
    t.uuid("id").primary().defaultTo(knex.raw("gen_random_uuid()"));
    t.uuid("tenant_id").notNullable();
    t.text("name").notNullable();
    t.text("description");
    t.text("group").notNullable().defaultTo("User presets");
    t.jsonb("recipe").notNullable();
    t.uuid("created_by");
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(["tenant_id", "name"]);
  });
  await addTenantPolicy(knex, "presets");

  // Imported .cube LUTs: float32 RGB data, deduplicated per tenant by the data's sha256.
  await knex.schema.createTable("luts", (t) => {
    t.uuid("id").primary().defaultTo(knex.raw("gen_random_uuid()"));
    t.uuid("tenant_id").notNullable();
    t.text("name").notNullable();
    t.text("title");
    t.text("kind").notNullable();
    t.integer("size").notNullable();
    t.jsonb("domain").notNullable();
    t.binary("data").notNullable();
    t.text("sha256").notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(["tenant_id", "sha256"]);
  });
  await addTenantPolicy(knex, "luts");
}

export async function down(knex: Knex) {
  for (const table of ["luts", "presets", "recipe_history", "recipes"]) await knex.schema.dropTableIfExists(table);
}
