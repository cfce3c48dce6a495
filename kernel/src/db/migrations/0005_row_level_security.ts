import type { Knex } from "knex";
import { tenantPolicySql } from "../../sdk/tenancy.js";
import { ensureTenantRole, TENANT_ROLE } from "../../tenancy/tenant-db.js";
import { quoteIdent } from "../database.js";
import { KERNEL_SCHEMA } from "./schema.js";

/**
 * Row-level security on every kernel table that carries `tenant_id`, keyed on the per-transaction
 * setting `crealia.tenant_id`. The kernel's tenant-scoped queries run as `crealia_tenant`, a role
 * that does not own these tables and cannot bypass RLS. Not forced: the owner (the connecting
 * user) still does system work across tenants, such as workers claiming jobs.
 */
export async function up(db: Knex) {
  await ensureTenantRole(db);
  const role = quoteIdent(TENANT_ROLE);
  await db.raw(`grant usage on schema ${quoteIdent(KERNEL_SCHEMA)} to ${role}`);
  await db.raw(`grant select on ${quoteIdent(KERNEL_SCHEMA)}.tenants to ${role}`);
  // Members are listed with their email and name; password hashes stay out of reach.
  await db.raw(`grant select (id, email, name) on ${quoteIdent(KERNEL_SCHEMA)}.users to ${role}`);
  for (const table of await kernelTenantTables(db)) {
    const qualified = `${KERNEL_SCHEMA}.${table}`;
    for (const sql of tenantPolicySql(qualified, { force: false })) await db.raw(sql);
    await db.raw(`grant select, insert, update, delete on ${quoteIdent(KERNEL_SCHEMA)}.${quoteIdent(table)} to ${role}`);
  }
  await db.raw(`grant usage on all sequences in schema ${quoteIdent(KERNEL_SCHEMA)} to ${role}`);
}

export async function down(db: Knex) {
  for (const table of await kernelTenantTables(db)) {
    await db.raw(`drop policy if exists crealia_tenant_isolation on ${quoteIdent(KERNEL_SCHEMA)}.${quoteIdent(table)}`);
    await db.raw(`alter table ${quoteIdent(KERNEL_SCHEMA)}.${quoteIdent(table)} disable row level security`);
  }
}

/** Kernel tables with a `tenant_id` column. */
export async function kernelTenantTables(db: Knex): Promise<string[]> {
  const res = await db.raw(
    `select c.table_name from information_schema.columns c
       join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
      where c.table_schema = ? and c.column_name = 'tenant_id' order by 1`,
    [KERNEL_SCHEMA],
  );
  return res.rows.map((r: { table_name: string }) => r.table_name);
}
