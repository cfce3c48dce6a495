import { randomBytes } from "node:crypto";
import knex from "knex";
import { type Database, openDatabase } from "../db/database.js";

/** Real Postgres for tests: the server the machine runs (TEST_POSTGRES_URL, default 127.0.0.1:5432/test). */
export function testPostgresAdminUrl(): string {
  return process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
}

/** A fresh database on the test server, dropped again by `close()`. */
export async function createScratchPostgres(): Promise<Database & { url: string }> {
  const adminUrl = testPostgresAdminUrl();
  const name = `crealia_test_${randomBytes(6).toString("hex")}`;
  const admin = knex({ client: "pg", connection: adminUrl, pool: { min: 0, max: 1 } });
  try {
    await admin.raw(`create database ${name}`);
  } finally {
    await admin.destroy();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = await openDatabase({ url: url.toString(), dataDir: null, poolMax: 5 });
  return {
    ...db,
    url: url.toString(),
    async close() {
      await db.close();
      const dropper = knex({ client: "pg", connection: adminUrl, pool: { min: 0, max: 1 } });
      try {
        await dropper.raw(`drop database if exists ${name} with (force)`);
      } finally {
        await dropper.destroy();
      }
    },
  };
}
