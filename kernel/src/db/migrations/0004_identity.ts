import type { Knex } from "knex";
import { KERNEL_SCHEMA } from "./schema.js";

/**
 * Identity and tenancy: users, memberships and roles, agencies, signing keys, sessions and
 * refresh tokens, one-time account tokens (reset, verification), API keys, the audit log,
 * per-tenant plugin secrets, bundles and OAuth2 connections.
 *
 * Tables owned by one tenant carry `tenant_id`; 0005 puts row-level security on them.
 */
export async function up(db: Knex) {
  const s = () => db.schema.withSchema(KERNEL_SCHEMA);
  const now = () => db.fn.now();
  const tenants = `${KERNEL_SCHEMA}.tenants`;

  // An agency is a tenant that owns client tenants; its members act in them by their agency role.
  await s().alterTable("tenants", (t) => {
    t.text("kind").notNullable().defaultTo("tenant"); // tenant | agency
    t.uuid("agency_id").references("id").inTable(tenants).onDelete("SET NULL");
    t.index(["agency_id"]);
  });

  await s().createTable("users", (t) => {
    t.uuid("id").primary().defaultTo(db.raw("gen_random_uuid()"));
    t.text("email").notNullable().unique(); // stored lower-cased
    t.text("name");
    t.text("password_hash").notNullable();
    t.timestamp("email_verified_at", { useTz: true });
    t.timestamp("locked_until", { useTz: true });
    t.integer("failed_sign_ins").notNullable().defaultTo(0);
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(now());
    t.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(now());
  });

  await s().createTable("memberships", (t) => {
    t.uuid("tenant_id").notNullable().references("id").inTable(tenants).onDelete("CASCADE");
    t.uuid("user_id").notNullable().references("id").inTable(`${KERNEL_SCHEMA}.users`).onDelete("CASCADE");
    t.text("role").notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(now());
    t.primary(["tenant_id", "user_id"]);
    t.index(["user_id"]);
  });

  // Custom roles of a tenant; built-in and plugin roles live in code and manifests.
  await s().createTable("roles", (t) => {
    t.uuid("tenant_id").notNullable().references("id").inTable(tenants).onDelete("CASCADE");
    t.text("name").notNullable();
    t.text("description");
    t.jsonb("permissions").notNullable().defaultTo("[]");
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(now());
    t.primary(["tenant_id", "name"]);
  });

  // JWT signing keys; private keys encrypted with the kernel secret.
  await s().createTable("signing_keys", (t) => {
    t.text("kid").primary();
    t.text("alg").notNullable();
    t.jsonb("public_jwk").notNullable();
    t.text("private_jwk_enc").notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(now());
    /** Signs new tokens until then; still verifies until `expires_at`. */
    t.timestamp("sign_until", { useTz: true }).notNullable();
    t.timestamp("expires_at", { useTz: true }).notNullable();
  });

  // A session is one refresh-token family: one sign-in on one device.
  await s().createTable("sessions", (t) => {
    t.uuid("id").primary().defaultTo(db.raw("gen_random_uuid()"));
    t.uuid("user_id").notNullable().references("id").inTable(`${KERNEL_SCHEMA}.users`).onDelete("CASCADE");
    t.uuid("current_tenant_id").notNullable().references("id").inTable(tenants).onDelete("CASCADE");
    t.text("user_agent");
    t.text("ip");
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(now());
    t.timestamp("last_used_at", { useTz: true }).notNullable().defaultTo(now());
    t.timestamp("expires_at", { useTz: true }).notNullable();
    t.timestamp("revoked_at", { useTz: true });
    t.text("revoked_reason");
    t.index(["user_id"]);
  });
  await s().createTable("refresh_tokens", (t) => {
    t.uuid("id").primary().defaultTo(db.raw("gen_random_uuid()"));
    t.uuid("session_id").notNullable().references("id").inTable(`${KERNEL_SCHEMA}.sessions`).onDelete("CASCADE");
    t.text("token_hash").notNullable().unique();
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(now());
    t.timestamp("used_at", { useTz: true });
    t.timestamp("expires_at", { useTz: true }).notNullable();
    t.index(["session_id"]);
  });

  // One-time tokens mailed to the user: password reset, email verification.
  await s().createTable("account_tokens", (t) => {
    t.uuid("id").primary().defaultTo(db.raw("gen_random_uuid()"));
    t.uuid("user_id").notNullable().references("id").inTable(`${KERNEL_SCHEMA}.users`).onDelete("CASCADE");
    t.text("purpose").notNullable(); // reset | verify
    t.text("token_hash").notNullable().unique();
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(now());
    t.timestamp("expires_at", { useTz: true }).notNullable();
    t.timestamp("used_at", { useTz: true });
  });

  await s().createTable("api_keys", (t) => {
    t.uuid("id").primary().defaultTo(db.raw("gen_random_uuid()"));
    t.uuid("tenant_id").notNullable().references("id").inTable(tenants).onDelete("CASCADE");
    t.text("name").notNullable();
    t.text("key_hash").notNullable();
    t.jsonb("permissions").notNullable().defaultTo("[]");
    t.uuid("created_by");
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(now());
    t.timestamp("last_used_at", { useTz: true });
    t.timestamp("expires_at", { useTz: true });
    t.timestamp("revoked_at", { useTz: true });
    t.index(["tenant_id"]);
  });

  // Security events per tenant; kept when a user deletes their account (user_id has no foreign key).
  await s().createTable("audit_log", (t) => {
    t.bigIncrements("id");
    t.uuid("tenant_id").references("id").inTable(tenants).onDelete("CASCADE");
    t.uuid("user_id");
    t.text("action").notNullable();
    t.text("target");
    t.text("ip");
    t.jsonb("data").notNullable().defaultTo("{}");
    t.timestamp("at", { useTz: true }).notNullable().defaultTo(now());
    t.index(["tenant_id", "at"]);
  });

  await s().createTable("plugin_secrets", (t) => {
    t.uuid("tenant_id").notNullable().references("id").inTable(tenants).onDelete("CASCADE");
    t.text("plugin_id").notNullable();
    t.text("name").notNullable();
    t.text("value_enc").notNullable();
    t.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(now());
    t.primary(["tenant_id", "plugin_id", "name"]);
  });

  // A bundle: plugins with settings an agency applies to its client tenants.
  await s().createTable("bundles", (t) => {
    t.uuid("id").primary().defaultTo(db.raw("gen_random_uuid()"));
    t.uuid("agency_id").notNullable().references("id").inTable(tenants).onDelete("CASCADE");
    t.text("name").notNullable();
    t.jsonb("plugins").notNullable().defaultTo("{}");
    t.integer("revision").notNullable().defaultTo(1);
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(now());
    t.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(now());
    t.unique(["agency_id", "name"]);
  });
  await s().createTable("bundle_clients", (t) => {
    t.uuid("bundle_id").notNullable().references("id").inTable(`${KERNEL_SCHEMA}.bundles`).onDelete("CASCADE");
    t.uuid("client_id").notNullable().references("id").inTable(tenants).onDelete("CASCADE");
    t.integer("revision").notNullable();
    t.timestamp("applied_at", { useTz: true }).notNullable().defaultTo(now());
    t.primary(["bundle_id", "client_id"]);
  });

  // OAuth2 connections of plugins to outside accounts; tokens encrypted, never sent to clients.
  await s().createTable("oauth_connections", (t) => {
    t.uuid("id").primary().defaultTo(db.raw("gen_random_uuid()"));
    t.uuid("tenant_id").notNullable().references("id").inTable(tenants).onDelete("CASCADE");
    t.text("plugin_id").notNullable();
    t.text("provider").notNullable();
    t.text("status").notNullable(); // connected | reconnect_needed
    t.text("access_token_enc");
    t.text("refresh_token_enc");
    t.timestamp("expires_at", { useTz: true });
    t.text("scope");
    t.text("last_error");
    t.uuid("created_by");
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(now());
    t.timestamp("updated_at", { useTz: true }).notNullable().defaultTo(now());
    t.unique(["tenant_id", "plugin_id", "provider"]);
  });
  await s().createTable("oauth_states", (t) => {
    t.text("state_hash").primary();
    t.uuid("tenant_id").notNullable().references("id").inTable(tenants).onDelete("CASCADE");
    t.uuid("user_id");
    t.text("plugin_id").notNullable();
    t.text("provider").notNullable();
    t.text("code_verifier_enc").notNullable();
    t.text("redirect_uri").notNullable();
    t.text("return_to");
    t.timestamp("expires_at", { useTz: true }).notNullable();
  });
}

export async function down(db: Knex) {
  const s = () => db.schema.withSchema(KERNEL_SCHEMA);
  for (const table of [
    "oauth_states",
    "oauth_connections",
    "bundle_clients",
    "bundles",
    "plugin_secrets",
    "audit_log",
    "api_keys",
    "account_tokens",
    "refresh_tokens",
    "sessions",
    "signing_keys",
    "roles",
    "memberships",
    "users",
  ]) {
    await s().dropTableIfExists(table);
  }
  await s().alterTable("tenants", (t) => {
    t.dropColumn("agency_id");
    t.dropColumn("kind");
  });
}
