import type { Knex } from "knex";
import { TENANT_ROLE } from "../../tenancy/tenant-db.js";
import { quoteIdent } from "../database.js";
import { KERNEL_SCHEMA } from "./schema.js";

/**
 * Asset queries run as the tenant role. `project_assets` links two tenant-guarded rows and has no
 * tenant of its own: the role may use it, and the asset and project it names stay guarded.
 */
export async function up(db: Knex) {
  await db.raw(`grant select, insert, delete on ${quoteIdent(KERNEL_SCHEMA)}.project_assets to ${quoteIdent(TENANT_ROLE)}`);
}

export async function down(db: Knex) {
  await db.raw(`revoke select, insert, delete on ${quoteIdent(KERNEL_SCHEMA)}.project_assets from ${quoteIdent(TENANT_ROLE)}`);
}
