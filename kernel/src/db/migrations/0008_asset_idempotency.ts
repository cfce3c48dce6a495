import type { Knex } from "knex";
import { KERNEL_SCHEMA } from "./schema.js";

/**
 * Idempotency keys on what jobs write into the library: a retried job that adds a version or
 * creates an asset with the same key gets the first one back instead of a duplicate.
 */
export async function up(db: Knex) {
  await db.schema.withSchema(KERNEL_SCHEMA).alterTable("asset_versions", (t) => t.text("idempotency_key"));
  await db.schema.withSchema(KERNEL_SCHEMA).alterTable("assets", (t) => t.text("idempotency_key"));
  await db.raw(
    `create unique index asset_versions_idempotency on ${KERNEL_SCHEMA}.asset_versions (tenant_id, asset_id, idempotency_key) where idempotency_key is not null`,
  );
  await db.raw(`create unique index assets_idempotency on ${KERNEL_SCHEMA}.assets (tenant_id, idempotency_key) where idempotency_key is not null`);
}

export async function down(db: Knex) {
  await db.raw(`drop index if exists ${KERNEL_SCHEMA}.asset_versions_idempotency`);
  await db.raw(`drop index if exists ${KERNEL_SCHEMA}.assets_idempotency`);
  await db.schema.withSchema(KERNEL_SCHEMA).alterTable("asset_versions", (t) => t.dropColumn("idempotency_key"));
  await db.schema.withSchema(KERNEL_SCHEMA).alterTable("assets", (t) => t.dropColumn("idempotency_key"));
}
