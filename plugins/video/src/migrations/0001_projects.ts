import { addTenantPolicy } from "@crealia/kernel/sdk";
import type { Knex } from "knex";

export async function up(knex: Knex) {
  await knex.schema.createTable("projects", (t) => {
    t.uuid("id").primary();
    t.uuid("tenant_id").notNullable().index();
    t.text("name").notNullable();
    t.jsonb("doc").notNullable();
    /** The revision shown now; undo moves it back, redo forward. */
    t.integer("head").notNullable().defaultTo(0);
    /** The newest revision that redo can reach. */
    t.integer("top").notNullable().defaultTo(0);
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await addTenantPolicy(knex, "projects");

  await knex.schema.createTable("project_revisions", (t) => {
    t.uuid("project_id").notNullable().references("id").inTable("projects").onDelete("CASCADE");
    t.uuid("tenant_id").notNullable();
    t.integer("revision").notNullable();
    t.jsonb("doc").notNullable();
    t.jsonb("command");
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(["project_id", "revision"]);
  });
  await addTenantPolicy(knex, "project_revisions");

  await knex.schema.createTable("templates", (t) => {
    t.uuid("id").primary();
    t.uuid("tenant_id").notNullable().index();
    t.text("name").notNullable();
    t.jsonb("doc").notNullable();
    t.jsonb("slots").notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await addTenantPolicy(knex, "templates");
}

export async function down(knex: Knex) {
  await knex.schema.dropTable("templates");
  await knex.schema.dropTable("project_revisions");
  await knex.schema.dropTable("projects");
}
