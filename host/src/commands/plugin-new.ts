import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { SDK_VERSION } from "@crealia/kernel/sdk";

const ID = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

function pascal(id: string) {
  return id.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}

function camel(id: string) {
  const p = pascal(id);
  return p.charAt(0).toLowerCase() + p.slice(1);
}

/** The files of a new plugin: manifest, route, migration, job, panel and a passing test. */
export function scaffoldFiles(id: string): Record<string, string> {
  const major = SDK_VERSION.split(".")[0];
  const P = pascal(id);
  const c = camel(id);
  return {
    "package.json": `${JSON.stringify(
      {
        name: `@crealia/plugin-${id}`,
        version: "0.1.0",
        type: "module",
        private: true,
        exports: { ".": { source: "./src/index.ts", import: "./dist/index.js" } },
        crealia: {
          id,
          kernel: `^${major}.0.0`,
          description: `The ${id} plugin.`,
          permissions: ["jobs.enqueue"],
          jobs: { [`${id}.count-words`]: { cpu: 1, concurrency: 2 } },
          panels: [{ id: "main", slot: "page", title: P, entry: "ui/main.js" }],
        },
      },
      null,
      2,
    )}\n`,
    "src/index.ts": `import { definePlugin } from "@crealia/kernel/sdk";
import { registerRoutes } from "./routes.js";
import { countWords } from "./workers/count-words.js";

export default definePlugin({
  setup(ctx) {
    registerRoutes(ctx);
    ctx.jobs.process("${id}.count-words", countWords);
    ctx.graphql.extend(
      \`
      type ${P}Note { id: ID!, text: String! }
      extend type Query { ${c}Notes: [${P}Note!]! }
      \`,
      {
        Query: {
          ${c}Notes: (_root: unknown, _args: unknown, gql: { identity: { tenantId: string } }) =>
            ctx.db.transaction((trx) => trx("notes").where({ tenant_id: gql.identity.tenantId }).select("id", "text")),
        },
      },
    );
  },
});
`,
    "src/routes.ts": `import type { PluginContext } from "@crealia/kernel/sdk";

export function registerRoutes(ctx: PluginContext) {
  ctx.http.post<{ Body: { text: string } }>(
    "/notes",
    {
      schema: {
        body: { type: "object", required: ["text"], additionalProperties: false, properties: { text: { type: "string", minLength: 1, maxLength: 10000 } } },
      },
    },
    async (req, reply) => {
      const tenantId = req.identity.tenantId;
      const [note] = await ctx.db.transaction((trx) => trx("notes").insert({ tenant_id: tenantId, text: req.body.text }).returning(["id", "text"]));
      const job = await ctx.jobs.enqueue("${id}.count-words", { text: req.body.text }, { tenantId });
      return reply.status(201).send({ note, jobId: job.id });
    },
  );

  ctx.http.get("/notes", async (req) => {
    const notes = await ctx.db.transaction((trx) => trx("notes").where({ tenant_id: req.identity.tenantId }).orderBy("created_at").select("id", "text"));
    return { notes };
  });
}
`,
    "src/workers/count-words.ts": `import type { JobContext } from "@crealia/kernel/sdk";

/** Counts the words of a note: stands in for real work, with progress. */
export async function countWords(job: JobContext<{ text: string }>) {
  const words = job.payload.text.split(/\\s+/).filter(Boolean).length;
  await job.progress(1);
  return { words };
}
`,
    "src/migrations/0001_notes.ts": `import { addTenantPolicy } from "@crealia/kernel/sdk";
import type { Knex } from "knex";

// Runs inside the plugin's own schema, as the plugin's role.
export async function up(knex: Knex) {
  await knex.schema.createTable("notes", (t) => {
    t.uuid("id").primary().defaultTo(knex.raw("gen_random_uuid()"));
    t.uuid("tenant_id").notNullable().index();
    t.text("text").notNullable();
    t.timestamp("created_at", { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  // Row-level security: a tenant's queries see only its notes, even without a where. Required for tenant_id tables.
  await addTenantPolicy(knex, "notes");
}

export async function down(knex: Knex) {
  await knex.schema.dropTable("notes");
}
`,
    "ui/main.js": `// The panel's ES module: the studio imports it and calls mount() with the element to fill.
export function mount(element) {
  element.textContent = "${P} panel";
  return () => {
    element.textContent = "";
  };
}
`,
    "test/plugin.test.ts": `import path from "node:path";
import { fileURLToPath } from "node:url";
import { createTestKernel, type TestKernel } from "@crealia/kernel/testing";
import { afterAll, beforeAll, expect, test } from "vitest";

const pluginDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
let kernel: TestKernel;

beforeAll(async () => {
  kernel = await createTestKernel({ plugins: [pluginDir] });
});
afterAll(() => kernel.close());

test("stores a note and counts its words in a job", async () => {
  const created = await kernel.inject({ method: "POST", url: "/api/p/${id}/v0/notes", payload: { text: "one two three" } });
  expect(created.statusCode).toBe(201);
  const job = await kernel.waitForJob(created.json().jobId);
  expect(job.status).toBe("succeeded");
  expect(job.result).toEqual({ words: 3 });

  const listed = await kernel.inject({ method: "GET", url: "/api/p/${id}/v0/notes" });
  expect(listed.json().notes.map((n: { text: string }) => n.text)).toEqual(["one two three"]);

  const gql = await kernel.graphql("{ ${c}Notes { text } }");
  expect(gql.data).toEqual({ ${c}Notes: [{ text: "one two three" }] });
});

test("rejects an empty note with a validation error", async () => {
  const res = await kernel.inject({ method: "POST", url: "/api/p/${id}/v0/notes", payload: { text: "" } });
  expect(res.statusCode).toBe(400);
  expect(res.json().error.code).toBe("KERNEL_VALIDATION");
});
`,
  };
}

/** `crealia plugin new <id>`: writes a new plugin folder under `plugins/`. */
export function pluginNewCommand(id: string, root = path.resolve(process.cwd(), "plugins")): number {
  if (!ID.test(id) || id.length > 40) {
    process.stderr.write(`"${id}" is not a plugin id: use lowercase letters, digits and single dashes, starting with a letter (e.g. "watermark")\n`);
    return 2;
  }
  const dir = path.join(root, id);
  if (existsSync(dir)) {
    process.stderr.write(`${dir} already exists; pick another id or remove it first\n`);
    return 2;
  }
  for (const [file, content] of Object.entries(scaffoldFiles(id))) {
    const full = path.join(dir, file);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  process.stdout.write(
    `Created ${path.relative(process.cwd(), dir) || dir}. Next:\n  npm install            # links the new workspace package\n  npx vitest run ${path.relative(process.cwd(), dir)}\n`,
  );
  return 0;
}
