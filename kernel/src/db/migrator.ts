import type { Knex } from "knex";
import { quoteIdent } from "./database.js";

export interface Migration {
  name: string;
  up(knex: Knex): Promise<unknown>;
  down?(knex: Knex): Promise<unknown>;
}

export interface MigrationScope {
  /** Schema that holds the tables and the `crealia_migrations` ledger. */
  schema: string;
  /** Role the migrations run as (it owns what they create); null runs as the connecting user. */
  role: string | null;
  /** Name hashed into the advisory lock, so two hosts never migrate the same scope at once. */
  lockName: string;
  /** Runs in the same transaction after this run's migrations (when any ran); a throw fails the last one and rolls all back. */
  verify?: (trx: Knex.Transaction) => Promise<void>;
}

/**
 * Applies pending migrations of one scope in a single transaction under an advisory lock.
 * A failure rolls back every migration of this run: the scope stays as it was.
 */
export async function runMigrations(db: Knex, scope: MigrationScope, migrations: Migration[]): Promise<string[]> {
  const names = migrations.map((m) => m.name);
  const sorted = [...names].sort();
  if (names.some((n, i) => n !== sorted[i])) throw new Error("migrations must be given in name order");

  return db.transaction(async (trx) => {
    await trx.raw("select pg_advisory_xact_lock(hashtext(?))", [`crealia:migrate:${scope.lockName}`]);
    if (scope.role) await trx.raw(`set local role ${quoteIdent(scope.role)}`);
    await trx.raw(`set local search_path to ${quoteIdent(scope.schema)}, public`);
    await trx.raw(
      `create table if not exists ${quoteIdent(scope.schema)}.crealia_migrations (
         name text primary key, batch integer not null, applied_at timestamptz not null default now())`,
    );
    const rows: { name: string; batch: number }[] = await trx(`${scope.schema}.crealia_migrations`).select("name", "batch");
    const applied = new Set(rows.map((r) => r.name));
    const batch = rows.reduce((max, r) => Math.max(max, r.batch), 0) + 1;
    const done: string[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.name)) continue;
      try {
        await migration.up(trx);
      } catch (err) {
        throw new MigrationError(migration.name, err);
      }
      await trx(`${scope.schema}.crealia_migrations`).insert({ name: migration.name, batch });
      done.push(migration.name);
    }
    if (done.length && scope.verify) {
      try {
        await scope.verify(trx);
      } catch (err) {
        throw new MigrationError(done.at(-1) as string, err);
      }
    }
    return done;
  });
}

/** Reverts the last batch of a scope (for plugin tests and uninstall with purge). */
export async function rollbackLastBatch(db: Knex, scope: MigrationScope, migrations: Migration[]): Promise<string[]> {
  return db.transaction(async (trx) => {
    await trx.raw("select pg_advisory_xact_lock(hashtext(?))", [`crealia:migrate:${scope.lockName}`]);
    if (scope.role) await trx.raw(`set local role ${quoteIdent(scope.role)}`);
    await trx.raw(`set local search_path to ${quoteIdent(scope.schema)}, public`);
    const ledger = `${scope.schema}.crealia_migrations`;
    const last = await trx(ledger).max<{ max: number | null }[]>("batch as max");
    const batch = last[0]?.max;
    if (!batch) return [];
    const names: string[] = (await trx(ledger).where({ batch }).orderBy("name", "desc").select("name")).map((r) => r.name);
    for (const name of names) {
      const migration = migrations.find((m) => m.name === name);
      if (!migration?.down) throw new Error(`migration ${name} cannot be reverted: it has no down()`);
      await migration.down(trx);
      await trx(ledger).where({ name }).delete();
    }
    return names;
  });
}

export class MigrationError extends Error {
  constructor(
    readonly migration: string,
    readonly cause: unknown,
  ) {
    super(`migration ${migration} failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}
