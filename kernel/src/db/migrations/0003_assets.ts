import type { Knex } from "knex";
import { KERNEL_SCHEMA } from "./schema.js";

/** Assets, their immutable versions, tags, and projects/albums. */
export async function up(db: Knex) {
  // A schema builder collects statements: take a fresh one per table.
  const s = () => db.schema.withSchema(KERNEL_SCHEMA);
  await s().createTable("assets", (t) => {
    t.uuid("id").primary().defaultTo(db.raw("gen_random_uuid()"));
    t.uuid("tenant_id").notNullable().references("id").inTable(`${KERNEL_SCHEMA}.tenants`).onDelete("CASCADE");
    t.uuid("owner_user_id");
    t.text("kind").notNullable(); // image | video | audio
    t.text("name").notNullable();
    t.text("status").notNullable(); // processing | ready | failed
    t.integer("current_version").notNullable().defaultTo(1);
    t.jsonb("error");
    t.timestamp("captured_at", { useTz: true });
    t.timestamp("deleted_at", { useTz: true });
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.index(["tenant_id", "created_at", "id"]);
    t.index(["tenant_id", "kind"]);
  });
  await s().createTable("asset_versions", (t) => {
    t.uuid("asset_id").notNullable().references("id").inTable(`${KERNEL_SCHEMA}.assets`).onDelete("CASCADE");
    t.integer("version").notNullable();
    t.uuid("tenant_id").notNullable();
    t.text("blob_key").notNullable();
    t.text("mime").notNullable();
    t.bigInteger("size").notNullable();
    t.text("sha256").notNullable();
    t.integer("width");
    t.integer("height");
    t.integer("duration_ms");
    t.jsonb("metadata").notNullable().defaultTo("{}");
    t.jsonb("derivatives").notNullable().defaultTo("{}");
    t.text("source").notNullable(); // upload | edit:<plugin>
    t.uuid("created_by_user_id");
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.primary(["asset_id", "version"]);
  });
  await s().createTable("asset_tags", (t) => {
    t.uuid("asset_id").notNullable().references("id").inTable(`${KERNEL_SCHEMA}.assets`).onDelete("CASCADE");
    t.uuid("tenant_id").notNullable();
    t.text("tag").notNullable();
    t.primary(["asset_id", "tag"]);
    t.index(["tenant_id", "tag"]);
  });
  await s().createTable("projects", (t) => {
    t.uuid("id").primary().defaultTo(db.raw("gen_random_uuid()"));
    t.uuid("tenant_id").notNullable().references("id").inTable(`${KERNEL_SCHEMA}.tenants`).onDelete("CASCADE");
    t.text("kind").notNullable(); // album | project
    t.text("name").notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.index(["tenant_id"]);
  });
  await s().createTable("project_assets", (t) => {
    t.uuid("project_id").notNullable().references("id").inTable(`${KERNEL_SCHEMA}.projects`).onDelete("CASCADE");
    t.uuid("asset_id").notNullable().references("id").inTable(`${KERNEL_SCHEMA}.assets`).onDelete("CASCADE");
    t.timestamp("added_at", { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.primary(["project_id", "asset_id"]);
  });
}
