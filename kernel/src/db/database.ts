import { mkdirSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import knex, { type Knex } from "knex";
import ClientPgLite from "knex-pglite";

export interface Database {
  knex: Knex;
  kind: "postgres" | "pglite";
  close(): Promise<void>;
}

/** Opens real Postgres when a URL is given, else embedded PGlite (in `dataDir`, or in memory when null). */
export async function openDatabase(options: { url: string | null; dataDir: string | null; poolMax?: number }): Promise<Database> {
  if (options.url) {
    const db = knex({ client: "pg", connection: options.url, pool: { min: 0, max: options.poolMax ?? 10 } });
    await db.raw("select 1");
    return { knex: db, kind: "postgres", close: () => db.destroy() };
  }
  if (options.dataDir) mkdirSync(path.dirname(options.dataDir), { recursive: true });
  const pglite = options.dataDir ? new PGlite(options.dataDir) : new PGlite();
  await pglite.waitReady;
  // One PGlite is one session: a pool of one keeps transactions from interleaving on it.
  const db = knex({ client: ClientPgLite, dialect: "postgres", connection: { pglite } as never });
  return {
    knex: db,
    kind: "pglite",
    close: async () => {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
