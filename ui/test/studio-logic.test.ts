import { describe, expect, test } from "vitest";
import type { JobRecord } from "../src/api/types.js";
import { describeCombo, isTypingTarget, matches, parseCombo } from "../src/app/shortcut-keys.js";
import { explainJobError, jobTitle, traySummary, upsertJob } from "../src/jobs/job-text.js";
import { filtersToQuery, filtersToSearch, parseFilters } from "../src/library/library-query.js";
import { coerceValues, schemaFields } from "../src/plugins/schema-form.js";
import { settingsSchemaOf } from "../src/plugins/tenant-plugins.js";

const key = (k: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }> = {}) => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  altKey: false,
  ...mods,
});

describe("keyboard shortcuts", () => {
  test("mod is Ctrl, or ⌘ on a Mac; shift must match for letters, not for symbols", () => {
    const undo = parseCombo("mod+z");
    expect(matches(undo, key("z", { ctrlKey: true }), false)).toBe(true);
    expect(matches(undo, key("z", { metaKey: true }), true)).toBe(true);
    expect(matches(undo, key("z", { metaKey: true }), false)).toBe(false);
    expect(matches(undo, key("Z", { ctrlKey: true, shiftKey: true }), false)).toBe(false);
    expect(matches(parseCombo("shift+mod+z"), key("Z", { ctrlKey: true, shiftKey: true }), false)).toBe(true);
    expect(matches(parseCombo("?"), key("?", { shiftKey: true }), false)).toBe(true);
    expect(matches(parseCombo("+"), key("+", { shiftKey: true }), false)).toBe(true);
    expect(matches(parseCombo("delete"), key("Delete"), false)).toBe(true);
    expect(matches(parseCombo("g"), key("g", { altKey: true }), false)).toBe(false);
  });

  test("read as people write them", () => {
    expect(describeCombo("shift+mod+z", false)).toBe("Ctrl+Shift+Z");
    expect(describeCombo("shift+mod+z", true)).toBe("⌘⇧Z");
    expect(describeCombo("escape", false)).toBe("Esc");
  });

  test("typing in a text field is not a shortcut; checkboxes and buttons are not typing", () => {
    expect(isTypingTarget({ tagName: "INPUT", type: "search" })).toBe(true);
    expect(isTypingTarget({ tagName: "TEXTAREA" })).toBe(true);
    expect(isTypingTarget({ tagName: "DIV", isContentEditable: true })).toBe(true);
    expect(isTypingTarget({ tagName: "INPUT", type: "checkbox" })).toBe(false);
    expect(isTypingTarget({ tagName: "BUTTON" })).toBe(false);
    expect(isTypingTarget(null)).toBe(false);
  });
});

const job = (over: Partial<JobRecord>): JobRecord => ({
  id: "j1",
  type: "kernel.ingest",
  pluginId: "kernel",
  status: "running",
  progress: 0.4,
  payload: {},
  result: null,
  error: null,
  attempts: 1,
  maxAttempts: 3,
  tenantId: "t",
  userId: null,
  assetId: null,
  parentId: null,
  idempotencyKey: null,
  createdAt: "2026-01-01T00:00:00.000Z",
  runAt: "2026-01-01T00:00:00.000Z",
  startedAt: null,
  finishedAt: null,
  updatedAt: "2026-01-01T00:00:01.000Z",
  ...over,
});

describe("jobs in words", () => {
  test("titles", () => {
    expect(jobTitle(job({}))).toBe("Preparing upload (thumbnails, metadata)");
    expect(jobTitle({ type: "filters.export", pluginId: "filters" })).toBe("Export (filters)");
    expect(jobTitle({ type: "face.detect-batch", pluginId: "face" })).toBe("Detect batch (face)");
  });

  test("failures explained, with what to do", () => {
    expect(explainJobError(job({ status: "failed", error: { code: "JOB_WORKER_LOST", message: "" }, attempts: 3 }))).toMatch(/worker running this job stopped/);
    expect(explainJobError(job({ status: "failed", error: { code: "KERNEL_MODEL_NOT_INSTALLED", message: "face-detect 1.0.0" } }))).toMatch(
      /crealia models fetch.*Details: face-detect 1\.0\.0/,
    );
    expect(explainJobError(job({ status: "failed", error: { code: "FILTERS_BAD_RECIPE", message: "unknown op blur2" }, attempts: 2 }))).toBe(
      "It stopped with an error after 2 attempts: unknown op blur2",
    );
    expect(explainJobError(job({ status: "retrying", error: { code: "X", message: "timeout" }, attempts: 1 }))).toMatch(/Attempt 1 of 3 failed \(timeout\)/);
    expect(explainJobError(job({ status: "cancelled" }))).toMatch(/Retry runs it again/);
    expect(explainJobError(job({ status: "succeeded" }))).toBeNull();
  });

  test("live updates merge newest-first and never step back in time", () => {
    let list = upsertJob([], job({ id: "a", createdAt: "2026-01-01T00:00:00.000Z" }));
    list = upsertJob(list, job({ id: "b", createdAt: "2026-01-02T00:00:00.000Z" }));
    expect(list.map((j) => j.id)).toEqual(["b", "a"]);
    list = upsertJob(list, job({ id: "a", progress: 0.9, updatedAt: "2026-01-01T00:00:05.000Z" }));
    expect(list.find((j) => j.id === "a")?.progress).toBe(0.9);
    const stale = upsertJob(list, job({ id: "a", progress: 0.1, updatedAt: "2026-01-01T00:00:02.000Z" }));
    expect(stale).toBe(list);
  });

  test("tray summary counts running and failed top-level jobs", () => {
    expect(
      traySummary([job({}), job({ id: "2", status: "failed" }), job({ id: "3", status: "failed", parentId: "p" }), job({ id: "4", status: "succeeded" })]),
    ).toEqual({
      active: 1,
      failed: 1,
      text: "1 running, 1 failed",
    });
    expect(traySummary([]).text).toBe("");
  });
});

describe("library filters in the address bar", () => {
  test("round-trip, and junk is dropped", () => {
    const f = parseFilters("?view=trash&kind=video&tag=Travel&project=0b0e8c36-5c43-4a61-9f0f-1f2a3b4c5d6e&from=2026-03-01&to=2026-03-31&q=%20dune%20");
    expect(f).toEqual({
      view: "trash",
      kind: "video",
      tag: "travel",
      project: "0b0e8c36-5c43-4a61-9f0f-1f2a3b4c5d6e",
      from: "2026-03-01",
      to: "2026-03-31",
      q: "dune",
    });
    expect(parseFilters(filtersToSearch(f))).toEqual(f);
    expect(parseFilters("?kind=pdf&project=../x&from=yesterday")).toEqual({ view: "all" });
  });

  test("become the API's query; `to` includes its whole day", () => {
    const q = filtersToQuery({ view: "all", from: "2026-03-01", to: "2026-03-31" });
    expect(q.deleted).toBeUndefined();
    expect(new Date(q.from as string).getDate()).toBe(1);
    expect(new Date(q.to as string).getDate()).toBe(1);
    expect(new Date(q.to as string).getMonth()).toBe(3);
    expect(filtersToQuery({ view: "trash" }).deleted).toBe(true);
  });
});

describe("settings forms from JSON Schema", () => {
  const schema = {
    type: "object",
    required: ["quality"],
    properties: {
      quality: { type: "integer", minimum: 1, maximum: 100, title: "JPEG quality" },
      format: { type: "string", enum: ["jpeg", "webp"] },
      watermark: { type: "boolean" },
      apiKey: { type: "string", writeOnly: true },
      hashtags: { type: "array", items: { type: "string" } },
      layout: { type: "object" },
      maxWidth: { type: ["number", "null"] },
    },
  };

  test("one field per property, of the right kind", () => {
    const fields = schemaFields(schema);
    expect(fields.map((f) => [f.key, f.kind, f.required])).toEqual([
      ["quality", "integer", true],
      ["format", "enum", false],
      ["watermark", "boolean", false],
      ["apiKey", "secret", false],
      ["hashtags", "list", false],
      ["layout", "json", false],
      ["maxWidth", "number", false],
    ]);
    expect(fields[0]?.label).toBe("JPEG quality");
    expect(fields[6]?.label).toBe("Max Width");
  });

  test("input is typed and checked, with problems in words", () => {
    const fields = schemaFields(schema);
    const ok = coerceValues(fields, { quality: "85", format: "webp", watermark: true, hashtags: "a, b,,c", layout: '{"x":1}', maxWidth: "" });
    expect(ok.problems).toEqual({});
    expect(ok.values).toEqual({ quality: 85, format: "webp", watermark: true, hashtags: ["a", "b", "c"], layout: { x: 1 } });
    const bad = coerceValues(fields, { quality: "101", format: "gif", layout: "{", watermark: false });
    expect(bad.problems).toEqual({
      quality: "JPEG quality must be at most 100.",
      format: "Choose one of the options for Format.",
      layout: "Layout must be valid JSON.",
    });
    expect(coerceValues(fields, {}).problems.quality).toBe("JPEG quality is required.");
    expect(coerceValues(fields, { quality: "2.5" }).problems.quality).toBe("JPEG quality must be a whole number.");
  });

  test("without a schema from the kernel, the current values describe the form", () => {
    const s = settingsSchemaOf({
      id: "x",
      version: "1.0.0",
      enabled: true,
      active: true,
      versionPin: null,
      secrets: [],
      settings: { n: 2, on: true, name: "a", tags: ["x"] },
    });
    expect(schemaFields(s).map((f) => f.kind)).toEqual(["number", "boolean", "string", "list"]);
  });
});
