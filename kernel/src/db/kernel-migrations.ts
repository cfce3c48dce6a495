import * as m0001 from "./migrations/0001_tenants_plugins_jobs.js";
import type { Migration } from "./migrator.js";

export { KERNEL_SCHEMA } from "./migrations/schema.js";

/**
 * The kernel's own migrations, in schema `kernel`, one file each under migrations/. Add a new
 * file and list it here; never edit one that has shipped.
 */
export const kernelMigrations: Migration[] = [{ name: "0001_tenants_plugins_jobs", ...m0001 }];
