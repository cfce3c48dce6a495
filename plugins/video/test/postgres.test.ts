import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createTestKernel, type TestKernel } from "@crealia/kernel/testing";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { ProjectView } from "../src/projects.js";
import { makeClip } from "./media.js";

/**
 * The plugin on real Postgres (a scratch database on TEST_POSTGRES_URL, dropped after): its
 * migrations, row-level security on its tables, project CRUD with undo/redo, templates and the
 * render plan. The rest of the suite runs on PGlite.
 */
const pluginDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const api = "/api/p/video/v1";

let t: TestKernel;
let dir: string;
let clip: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "video-postgres-"));
  const file = await makeClip(dir, "clip.mp4", 2);
  t = await createTestKernel({ plugins: [pluginDir], database: "postgres" });
  ({ assetId: clip } = await t.upload("clip.mp4", readFileSync(file), { timeoutMs: 20_000 }));
}, 90_000);
afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("video on Postgres", () => {
  test("migrations made the plugin's tables in its own schema, each under a row-level security policy", async () => {
    expect(t.kernel.plugins().find((p) => p.id === "video")?.state).toBe("started");
    const { rows } = await t.kernel.database.knex.raw<{ rows: { relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean }[] }>(
      `select c.relname, c.relrowsecurity, c.relforcerowsecurity from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'plugin_video' and c.relkind = 'r' and c.relname <> 'crealia_migrations' order by c.relname`,
    );
    expect(rows.map((r) => r.relname)).toEqual(["project_revisions", "projects", "templates"]);
    for (const r of rows) expect([r.relname, r.relrowsecurity, r.relforcerowsecurity]).toEqual([r.relname, true, true]);
    const applied = await t.kernel.database.knex("plugin_video.crealia_migrations").select("name");
    expect(applied.map((m: { name: string }) => m.name)).toEqual(["0001_projects"]);
  });

  test("create, edit with undo/redo, list, read, render-plan, template, delete; other tenants see nothing", async () => {
    let res = await t.inject({ method: "POST", url: `${api}/projects`, payload: { name: "On Postgres", aspect: "1:1", shortSide: 240, fps: 25 } });
    expect(res.statusCode, res.body).toBe(201);
    const p = res.json() as ProjectView;
    expect(p.doc).toMatchObject({ width: 240, height: 240, fps: 25 });
    const [main, text] = p.doc.tracks.map((x) => x.id);

    res = await t.inject({
      method: "POST",
      url: `${api}/projects/${p.id}/commands`,
      payload: {
        commands: [
          { type: "addClip", trackId: main, assetId: clip, in: 0, out: 1.5 },
          { type: "addClip", trackId: main, assetId: clip, in: 0.5, out: 2 },
          { type: "addClip", trackId: text, text: { content: "Postgres" }, duration: 1 },
        ],
        expectedRevision: 0,
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ revision: 1, durationS: 3 });
    const [a, b] = res.json().doc.tracks[0].clips.map((c: { id: string }) => c.id);
    res = await t.inject({
      method: "POST",
      url: `${api}/projects/${p.id}/commands`,
      payload: { command: { type: "addTransition", fromClipId: a, kind: "wipeup", duration: 0.4 } },
    });
    expect(res.json()).toMatchObject({ revision: 2, durationS: 2.6 });
    res = await t.inject({ method: "POST", url: `${api}/projects/${p.id}/commands`, payload: { command: { type: "splitClip", clipId: b, at: 2 } } });
    expect(res.json().doc.tracks[0].clips).toHaveLength(3);
    res = await t.inject({ method: "POST", url: `${api}/projects/${p.id}/undo` });
    expect(res.json()).toMatchObject({ revision: 2, canRedo: true });
    expect(res.json().doc.tracks[0].clips).toHaveLength(2);
    res = await t.inject({ method: "POST", url: `${api}/projects/${p.id}/redo` });
    expect(res.json()).toMatchObject({ revision: 3, canRedo: false });
    // A stale revision is refused: the row lock and the check run in one transaction.
    res = await t.inject({
      method: "POST",
      url: `${api}/projects/${p.id}/commands`,
      payload: { command: { type: "deleteClip", clipId: a }, expectedRevision: 1 },
    });
    expect([res.statusCode, res.json().error.code]).toEqual([409, "VIDEO_REVISION_CONFLICT"]);

    const list = (await t.inject({ method: "GET", url: `${api}/projects` })).json().projects as { id: string; revision: number }[];
    expect(list.find((x) => x.id === p.id)).toMatchObject({ revision: 3 });
    expect((await t.inject({ method: "GET", url: `${api}/projects/${p.id}` })).json()).toMatchObject({ name: "On Postgres", revision: 3, durationS: 2.6 });

    // The render plan of the current revision and of an earlier one.
    const plan = (await t.inject({ method: "GET", url: `${api}/projects/${p.id}/render-plan?quality=draft` })).json();
    expect(plan).toMatchObject({ revision: 3, durationS: 2.6, frames: 65, width: 240, height: 240 });
    expect(plan.args.filter((x: string) => x === "-filter_complex")).toHaveLength(1);
    expect(plan.graph).toContain("xfade=transition=wipeup");
    expect(plan.graph).toContain("drawtext=");
    const old = (await t.inject({ method: "GET", url: `${api}/projects/${p.id}/render-plan?revision=1` })).json();
    expect(old).toMatchObject({ revision: 1, durationS: 3 });
    expect(old.graph).not.toContain("xfade");

    res = await t.inject({
      method: "POST",
      url: `${api}/templates`,
      payload: { projectId: p.id, name: "PG template", slots: [{ id: "hero", kind: "media", clipId: a }] },
    });
    expect(res.statusCode, res.body).toBe(201);
    const made = await t.inject({ method: "POST", url: `${api}/templates/${res.json().id}/instantiate`, payload: { values: { hero: clip } } });
    expect(made.statusCode, made.body).toBe(201);

    // Row-level security: another tenant sees none of it, even through the list.
    const other = await t.createTenant("video-pg-other");
    expect((await t.inject({ method: "GET", url: `${api}/projects/${p.id}`, tenant: other.id })).statusCode).toBe(404);
    expect((await t.inject({ method: "GET", url: `${api}/projects`, tenant: other.id })).json().projects).toEqual([]);
    expect((await t.inject({ method: "GET", url: `${api}/templates`, tenant: other.id })).json().templates).toEqual([]);

    res = await t.inject({ method: "DELETE", url: `${api}/projects/${p.id}` });
    expect(res.statusCode).toBe(204);
    expect((await t.inject({ method: "GET", url: `${api}/projects/${p.id}` })).statusCode).toBe(404);
    const revisions = await t.kernel.database.knex("plugin_video.project_revisions").where({ project_id: p.id }).count<{ count: string }[]>("* as count");
    expect(Number(revisions[0]?.count)).toBe(0);
  });
});
