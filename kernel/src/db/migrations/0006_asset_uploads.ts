import type { Knex } from "knex";
import { tenantPolicySql } from "../../sdk/tenancy.js";
import { TENANT_ROLE } from "../../tenancy/tenant-db.js";
import { quoteIdent } from "../database.js";
import { KERNEL_SCHEMA } from "./schema.js";

/** Uploads that go straight from the client to the blob store (presigned PUT or resumable multipart). */
export async function up(db: Knex) {
  await db.schema.withSchema(KERNEL_SCHEMA).createTable("asset_uploads", (t) => {
    t.uuid("id").primary().defaultTo(db.raw("gen_random_uuid()"));
    t.uuid("tenant_id").notNullable().references("id").inTable(`${KERNEL_SCHEMA}.tenants`).onDelete("CASCADE");
    t.uuid("user_id");
    t.text("name").notNullable();
    t.bigInteger("size").notNullable();
    t.text("content_type").notNullable();
    t.text("blob_key").notNullable();
    t.text("multipart_id");
    t.integer("part_size");
    t.text("tags");
    t.uuid("project_id");
    t.text("status").notNullable(); // open | completed | aborted
    t.uuid("asset_id");
    t.timestamp("expires_at", { useTz: true }).notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(db.fn.now());
    t.index(["tenant_id", "status"]);
  });
  for (const sql of tenantPolicySql(`${KERNEL_SCHEMA}.asset_uploads`, { force: false })) await db.raw(sql);
  await db.raw(`grant select, insert, update, delete on ${quoteIdent(KERNEL_SCHEMA)}.asset_uploads to ${quoteIdent(TENANT_ROLE)}`);
}

export async function down(db: Knex) {
  await db.schema.withSchema(KERNEL_SCHEMA).dropTable("asset_uploads");
}
