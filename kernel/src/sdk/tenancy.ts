import type { Knex } from "knex";

/** The per-transaction setting row-level security policies compare `tenant_id` with. */
export const TENANT_SETTING = "crealia.tenant_id";

/** Name of the policy `tenantPolicySql` creates. */
export const TENANT_POLICY = "crealia_tenant_isolation";

function quoteTable(table: string): string {
  return table
    .split(".")
    .map((part) => `"${part.replaceAll('"', '""')}"`)
    .join(".");
}

/**
 * SQL that puts a table under tenant isolation: row-level security on (forced, so the role that
 * owns the table is held to it too) and one policy that lets a transaction see and write only the
 * rows whose `column` (a uuid) equals the tenant the kernel set for it. Without a tenant set, the
 * table looks empty and refuses writes.
 */
export function tenantPolicySql(table: string, options: { column?: string; force?: boolean } = {}): string[] {
  const t = quoteTable(table);
  const column = `"${(options.column ?? "tenant_id").replaceAll('"', '""')}"`;
  const rule = `${column} = nullif(current_setting('${TENANT_SETTING}', true), '')::uuid`;
  return [
    `alter table ${t} enable row level security`,
    ...(options.force === false ? [] : [`alter table ${t} force row level security`]),
    `drop policy if exists ${TENANT_POLICY} on ${t}`,
    `create policy ${TENANT_POLICY} on ${t} using (${rule}) with check (${rule})`,
  ];
}

/**
 * Puts a table of a plugin migration under tenant isolation (see `tenantPolicySql`). Every table
 * with a `tenant_id` column needs it: the kernel fails a plugin's migration that creates one without.
 *
 * ```ts
 * await knex.schema.createTable("notes", (t) => { t.increments("id"); t.uuid("tenant_id").notNullable(); });
 * await addTenantPolicy(knex, "notes");
 * ```
 */
export async function addTenantPolicy(knex: Knex, table: string, options: { column?: string } = {}): Promise<void> {
  for (const sql of tenantPolicySql(table, options)) await knex.raw(sql);
}
