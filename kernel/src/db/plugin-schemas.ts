import type { Knex } from "knex";
import { quoteIdent } from "./database.js";

export function pluginSchemaName(pluginId: string): string {
  return `plugin_${pluginId.replaceAll("-", "_")}`;
}

export function pluginRoleName(pluginId: string): string {
  return `crealia_plugin_${pluginId.replaceAll("-", "_")}`;
}

/**
 * Creates the plugin's role and schema. The role owns the schema and nothing else, so SQL run
 * as that role cannot read another plugin's or the kernel's tables.
 */
export async function ensurePluginSchema(db: Knex, pluginId: string): Promise<{ schema: string; role: string }> {
  const schema = pluginSchemaName(pluginId);
  const role = pluginRoleName(pluginId);
  await db.transaction(async (trx) => {
    await trx.raw("select pg_advisory_xact_lock(hashtext(?))", [`crealia:schema:${pluginId}`]);
    const exists = await trx.raw("select 1 from pg_roles where rolname = ?", [role]);
    if (exists.rows.length === 0) {
      // Roles are cluster-wide; another database of the same cluster may create it at the same moment.
      await trx.raw(`do $$ begin create role ${quoteIdent(role)} nologin; exception when duplicate_object or unique_violation then null; end $$`);
    }
    const me = await trx.raw("select rolsuper from pg_roles where rolname = current_user");
    if (!me.rows[0]?.rolsuper) await trx.raw(`grant ${quoteIdent(role)} to current_user`);
    await trx.raw(`create schema if not exists ${quoteIdent(schema)} authorization ${quoteIdent(role)}`);
  });
  return { schema, role };
}
