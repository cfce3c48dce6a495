import type { Knex } from "knex";
import { KERNEL_SCHEMA } from "./schema.js";

/**
 * Jobs, part 2: the lease a worker holds on a running job (so a killed worker's job is taken
 * over, never run twice at once), indexes for listing and for batch parents, and cron schedules.
 */
export async function up(db: Knex) {
  await db.schema.withSchema(KERNEL_SCHEMA).alterTable("jobs", (t) => {
    // The worker that claimed the running attempt, and when it last said it is alive.
    t.text("worker_id");
    t.timestamp("heartbeat_at", { useTz: true });
    t.index(["parent_id"]);
    t.index(["tenant_id", "created_at", "id"]);
    t.index(["status", "run_at"]);
  });
  await db.schema.withSchema(KERNEL_SCHEMA).createTable("job_schedules", (t) => {
    t.uuid("id").primary().defaultTo(db.raw("gen_random_uuid()"));
    t.uuid("tenant_id").notNullable().references("id").inTable(`${KERNEL_SCHEMA}.tenants`).onDelete("CASCADE");
    t.text("plugin_id").notNullable();
    t.text("type").notNullable();
    t.text("key").notNullable();
    t.text("cron").notNullable();
    t.text("timezone");
    t.jsonb("payload").notNullable().defaultTo("{}");
    t.uuid("user_id");
    t.integer("max_attempts");
    t.timestamp("next_run_at", { useTz: true }).notNullable();
    t.timestamp("last_run_at", { useTz: true });
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.unique(["tenant_id", "type", "key"]);
    t.index(["next_run_at"]);
  });
}

export async function down(db: Knex) {
  await db.schema.withSchema(KERNEL_SCHEMA).dropTable("job_schedules");
  await db.schema.withSchema(KERNEL_SCHEMA).alterTable("jobs", (t) => {
    t.dropIndex(["status", "run_at"]);
    t.dropIndex(["tenant_id", "created_at", "id"]);
    t.dropIndex(["parent_id"]);
    t.dropColumn("heartbeat_at");
    t.dropColumn("worker_id");
  });
}
