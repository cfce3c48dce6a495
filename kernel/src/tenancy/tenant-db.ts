import { AsyncLocalStorage } from "node:async_hooks";
import type { Knex } from "knex";
import { quoteIdent } from "../db/database.js";
import { TENANT_SETTING } from "../sdk/tenancy.js";

/** The role the kernel's tenant-scoped queries run as: no table of its own, no BYPASSRLS. */
export const TENANT_ROLE = "crealia_tenant";

/**
 * The tenant the current request or job runs for. The kernel sets it after resolving the caller
 * and around each job's processor; `ctx.db.transaction` falls back to it when no `tenantId` is given.
 */
const scope = new AsyncLocalStorage<{ tenantId: string | null }>();

export const tenantScope = {
  /** Runs `fn` with a (mutable) scope; `set` fills in the tenant once it is known. */
  run<T>(tenantId: string | null, fn: () => T): T {
    return scope.run({ tenantId }, fn);
  },
  set(tenantId: string) {
    const store = scope.getStore();
    if (store) store.tenantId = tenantId;
  },
  current(): string | null {
    return scope.getStore()?.tenantId ?? null;
  },
};

/** Creates the tenant role (cluster-wide, so tolerant of a concurrent create) and lets the connecting user switch to it. */
export async function ensureTenantRole(db: Knex): Promise<void> {
  const exists = await db.raw("select 1 from pg_roles where rolname = ?", [TENANT_ROLE]);
  if (exists.rows.length === 0) {
    await db.raw(`do $$ begin create role ${quoteIdent(TENANT_ROLE)} nologin; exception when duplicate_object or unique_violation then null; end $$`);
  }
  const me = await db.raw("select rolsuper from pg_roles where rolname = current_user");
  if (!me.rows[0]?.rolsuper) await db.raw(`grant ${quoteIdent(TENANT_ROLE)} to current_user`);
}

/** Binds an open transaction to one tenant: row-level security then shows it only that tenant's rows. */
export async function bindTenant(trx: Knex.Transaction, tenantId: string): Promise<void> {
  await trx.raw("select set_config(?, ?, true)", [TENANT_SETTING, tenantId]);
}

/**
 * Runs `fn` in a transaction as `crealia_tenant` bound to `tenantId`: every kernel query on a
 * tenant table made through `trx` sees and writes only that tenant's rows, whatever its `where`.
 */
export function withTenant<T>(db: Knex, tenantId: string, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  return db.transaction(async (trx) => {
    await trx.raw(`set local role ${quoteIdent(TENANT_ROLE)}`);
    await bindTenant(trx, tenantId);
    return fn(trx);
  });
}
