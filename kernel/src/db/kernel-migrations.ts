import * as m0001 from "./migrations/0001_tenants_plugins_jobs.js";
import * as m0002 from "./migrations/0002_jobs.js";
import * as m0003 from "./migrations/0003_assets.js";
import * as m0004 from "./migrations/0004_identity.js";
import * as m0005 from "./migrations/0005_row_level_security.js";
import * as m0006 from "./migrations/0006_asset_uploads.js";
import * as m0007 from "./migrations/0007_project_assets_grant.js";
import * as m0008 from "./migrations/0008_asset_idempotency.js";
import type { Migration } from "./migrator.js";

export { KERNEL_SCHEMA } from "./migrations/schema.js";

/**
 * The kernel's own migrations, in schema `kernel`, one file each under migrations/. Add a new
 * file and list it here; never edit one that has shipped.
 */
export const kernelMigrations: Migration[] = [
  { name: "0001_tenants_plugins_jobs", ...m0001 },
  { name: "0002_jobs", ...m0002 },
  { name: "0003_assets", ...m0003 },
  { name: "0004_identity", ...m0004 },
  { name: "0005_row_level_security", ...m0005 },
  { name: "0006_asset_uploads", ...m0006 },
  { name: "0007_project_assets_grant", ...m0007 },
  { name: "0008_asset_idempotency", ...m0008 },
];
