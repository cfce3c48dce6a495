import type { Knex } from "knex";
import { KERNEL_SCHEMA } from "./schema.js";

/** Tenants, installed plugins, per-tenant plugin choices and the jobs table. */
export async function up(db: Knex) {
  await db.schema.withSchema(KERNEL_SCHEMA).createTable("tenants", (t) => {
    t.uuid("id").primary().defaultTo(db.raw("gen_random_uuid()"));
    t.text("slug").notNullable().unique();
    t.text("name").notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(db.fn.now());
  });
  // What is installed on this deployment: the install → migrate → uninstall state machine.
  await db.schema.withSchema(KERNEL_SCHEMA).createTable("plugins", (t) => {
    t.text("id").primary();
    t.text("version").notNullable();
    t.text("state").notNullable();
    t.text("reason");
    t.timestamp("installed_at", { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(db.fn.now());
  });
  // Per-tenant choice; no row means the manifest's enabledByDefault.
  await db.schema.withSchema(KERNEL_SCHEMA).createTable("tenant_plugins", (t) => {
    t.uuid("tenant_id").notNullable().references("id").inTable(`${KERNEL_SCHEMA}.tenants`).onDelete("CASCADE");
    t.text("plugin_id").notNullable();
    t.boolean("enabled").notNullable();
    t.text("version_pin");
    t.jsonb("settings").notNullable().defaultTo("{}");
    t.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.primary(["tenant_id", "plugin_id"]);
  });
  await db.schema.withSchema(KERNEL_SCHEMA).createTable("jobs", (t) => {
    t.uuid("id").primary().defaultTo(db.raw("gen_random_uuid()"));
    t.text("type").notNullable();
    t.text("plugin_id").notNullable();
    t.text("status").notNullable();
    t.double("progress").notNullable().defaultTo(0);
    t.jsonb("payload").notNullable().defaultTo("{}");
    t.jsonb("result");
    t.jsonb("error");
    t.integer("attempts").notNullable().defaultTo(0);
    t.integer("max_attempts").notNullable().defaultTo(3);
    t.uuid("tenant_id").notNullable();
    t.uuid("user_id");
    t.uuid("asset_id");
    t.uuid("parent_id").references("id").inTable(`${KERNEL_SCHEMA}.jobs`).onDelete("SET NULL");
    t.text("idempotency_key");
    t.timestamp("run_at", { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp("started_at", { useTz: true });
    t.timestamp("finished_at", { useTz: true });
    t.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.unique(["tenant_id", "type", "idempotency_key"]);
    t.index(["tenant_id", "status"]);
    t.index(["status", "type"]);
  });
}
