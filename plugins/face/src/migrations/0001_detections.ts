import { addTenantPolicy } from "@crealia/kernel/sdk";
import type { Knex } from "knex";

export async function up(knex: Knex) {
  await knex.schema.createTable("detections", (t) => {
    t.uuid("id").primary().defaultTo(knex.raw("gen_random_uuid()"));
    t.uuid("tenant_id").notNullable();
    t.uuid("asset_id").notNullable();
    t.integer("version").notNullable();
    /** `front`, `back` or `auto`. */
    t.text("model").notNullable();
    /** Upright image size the coordinates refer to. */
    t.integer("width").notNullable();
    t.integer("height").notNullable();
    t.jsonb("faces").notNullable();
    t.jsonb("runs").notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(["tenant_id", "asset_id", "version", "model"]);
  });
  await addTenantPolicy(knex, "detections");
}

export async function down(knex: Knex) {
  await knex.schema.dropTable("detections");
}
