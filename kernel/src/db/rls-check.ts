import type { Knex } from "knex";
import { TENANT_SETTING } from "../sdk/tenancy.js";

interface TableFacts {
  table: string;
  rls: boolean;
  forced: boolean;
  policies: number;
  type: string;
}

/** Tables of a schema with a `tenant_id` column, with their row-level security state. */
export async function tenantTables(db: Knex, schema: string): Promise<TableFacts[]> {
  const res = await db.raw(
    `select c.relname as table, c.relrowsecurity as rls, c.relforcerowsecurity as forced, format_type(a.atttypid, a.atttypmod) as type,
            (select count(*) from pg_policies p
              where p.schemaname = n.nspname and p.tablename = c.relname
                and (coalesce(p.qual, '') like ? or coalesce(p.with_check, '') like ?))::int as policies
       from pg_class c
       join pg_namespace n on n.oid = c.relnamespace
       join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
      where n.nspname = ? and c.relkind in ('r', 'p')
      order by c.relname`,
    [`%${TENANT_SETTING}%`, `%${TENANT_SETTING}%`, schema],
  );
  return res.rows;
}

/**
 * The tenant-isolation check run after a plugin's migrations, in their transaction: every table
 * with a `tenant_id` column must be a uuid column under row-level security with a policy on
 * `crealia.tenant_id` (see `addTenantPolicy` in the SDK), or the migration fails. Security is
 * then forced on such tables, since the plugin's role owns them and would otherwise bypass it.
 */
export async function checkTenantIsolation(trx: Knex.Transaction, schema: string): Promise<void> {
  const problems: string[] = [];
  for (const t of await tenantTables(trx, schema)) {
    if (t.type !== "uuid") problems.push(`${t.table}.tenant_id is ${t.type}, not uuid`);
    if (!t.rls || t.policies === 0) {
      problems.push(
        `table ${t.table} has a tenant_id column but no row-level security policy on ${TENANT_SETTING}: call addTenantPolicy(knex, "${t.table}") in the migration`,
      );
    } else if (!t.forced) {
      await trx.raw(`alter table "${schema.replaceAll('"', '""')}"."${t.table.replaceAll('"', '""')}" force row level security`);
    }
  }
  if (problems.length) throw new Error(`tenant isolation: ${problems.join("; ")}`);
}
