import { describe, expect, test } from "vitest";
import type { DiscoveredPlugin } from "../src/plugins/discovery.js";
import { validateManifest } from "../src/plugins/manifest-validation.js";
import { resolvePlugins } from "../src/plugins/resolution.js";

const plugin = (id: string, version = "1.0.0", requires: Record<string, string> = {}, kernel = "^1.0.0"): DiscoveredPlugin => ({
  dir: `/plugins/${id}`,
  packageName: `@x/${id}`,
  manifest: { id, version, kernel, requires },
});

describe("resolvePlugins", () => {
  test("orders plugins after what they require", () => {
    const r = resolvePlugins([plugin("c", "1.0.0", { b: "^1.0.0" }), plugin("b", "1.0.0", { a: "^1.0.0" }), plugin("a")], "1.0.0");
    expect(r.failed).toEqual([]);
    expect(r.order.map((p) => p.manifest.id)).toEqual(["a", "b", "c"]);
  });

  test("explains an out-of-range dependency in words", () => {
    const r = resolvePlugins([plugin("social-tiktok", "1.2.0", { publisher: "^2.0.0" }), plugin("publisher", "1.4.1")], "1.0.0");
    expect(r.failed.map((f) => f.reason)).toEqual(["social-tiktok 1.2.0 requires publisher ^2.0.0, found 1.4.1"]);
    expect(r.order.map((p) => p.manifest.id)).toEqual(["publisher"]);
  });

  test("leaves out dependents of a left-out plugin, transitively", () => {
    const r = resolvePlugins([plugin("a", "1.0.0", {}, "^2.0.0"), plugin("b", "1.0.0", { a: "*" }), plugin("c", "1.0.0", { b: "*" }), plugin("d")], "1.0.0");
    expect(Object.fromEntries(r.failed.map((f) => [f.plugin.manifest.id, f.reason]))).toEqual({
      a: "a 1.0.0 needs kernel SDK ^2.0.0, this kernel has 1.0.0",
      b: "b 1.0.0 requires a *, which is left out",
      c: "c 1.0.0 requires b *, which is left out",
    });
    expect(r.order.map((p) => p.manifest.id)).toEqual(["d"]);
  });

  test("reports every member of a cycle and whatever depends on it", () => {
    const r = resolvePlugins(
      [plugin("x", "1.0.0", { y: "*" }), plugin("y", "1.0.0", { z: "*" }), plugin("z", "1.0.0", { x: "*" }), plugin("w", "1.0.0", { x: "*" })],
      "1.0.0",
    );
    expect(r.order).toEqual([]);
    const reasons = Object.fromEntries(r.failed.map((f) => [f.plugin.manifest.id, f.reason]));
    expect(reasons.x).toBe("dependency cycle: x → y → z → x");
    expect(reasons.y).toBe("dependency cycle: x → y → z → x");
    expect(reasons.z).toBe("dependency cycle: x → y → z → x");
    expect(reasons.w).toBe("w 1.0.0 depends on a plugin in a dependency cycle");
  });

  test("an optional dependency orders the start when it is there and in range, and is never a reason to leave out", () => {
    const withOptional = (id: string, optionalRequires: Record<string, string>, requires: Record<string, string> = {}): DiscoveredPlugin => ({
      ...plugin(id, "1.0.0", requires),
      manifest: { id, version: "1.0.0", kernel: "^1.0.0", requires, optionalRequires },
    });
    // "a" sorts first by name, yet waits for "video" it optionally works with.
    let r = resolvePlugins([withOptional("a", { video: "^1.0.0" }), plugin("video")], "1.0.0");
    expect([r.failed, r.order.map((p) => p.manifest.id)]).toEqual([[], ["video", "a"]]);
    // Absent, out of range or left out: "a" starts anyway.
    r = resolvePlugins([withOptional("a", { video: "^1.0.0" })], "1.0.0");
    expect([r.failed, r.order.map((p) => p.manifest.id)]).toEqual([[], ["a"]]);
    r = resolvePlugins([withOptional("a", { video: "^2.0.0" }), plugin("video")], "1.0.0");
    expect(r.failed).toEqual([]);
    r = resolvePlugins([withOptional("a", { video: "*" }), plugin("video", "1.0.0", {}, "^9.0.0")], "1.0.0");
    expect(r.failed.map((f) => f.plugin.manifest.id)).toEqual(["video"]);
    expect(r.order.map((p) => p.manifest.id)).toEqual(["a"]);
    // A loop closed by an optional edge is not a cycle: the required edge decides the order.
    r = resolvePlugins([withOptional("video", { filters: "*" }), withOptional("filters", {}, { video: "*" })], "1.0.0");
    expect([r.failed, r.order.map((p) => p.manifest.id)]).toEqual([[], ["video", "filters"]]);
  });

  test("refuses both copies of a duplicate id", () => {
    const a = plugin("dup");
    const b = { ...plugin("dup", "2.0.0"), dir: "/other/dup" };
    const r = resolvePlugins([a, b], "1.0.0");
    expect(r.order).toEqual([]);
    expect(r.failed[0]?.reason).toBe('duplicate plugin id "dup": found in /plugins/dup and /other/dup');
  });
});

describe("validateManifest", () => {
  const base = { id: "filters", version: "1.3.0", kernel: "^1.0.0" };

  test("accepts a full manifest", () => {
    const m = {
      ...base,
      requires: { publisher: "^1.0.0" },
      permissions: ["storage.write", "jobs.enqueue"],
      jobs: { "filters.export": { cpu: 1, gpuMemoryMb: 0, concurrency: 2 } },
      panels: [{ id: "develop", slot: "editor.tool", title: "Develop", entry: "dist/ui/develop.js" }],
      settings: "settings.schema.json",
      extensionPoints: ["filters.mask"],
      contributes: ["publisher.platform"],
      events: ["filters.exported"],
    };
    expect(validateManifest(m).problems).toEqual([]);
  });

  test("unknown keys are errors, at every level", () => {
    expect(validateManifest({ ...base, colour: "red" }).problems).toEqual(['manifest: unknown key "colour"']);
    expect(validateManifest({ ...base, jobs: { "filters.x": { cpus: 2 } } }).problems).toEqual(['/jobs/filters.x: unknown key "cpus"']);
  });

  test("names a plugin owns must carry its id; contributions need the owner in requires", () => {
    const r = validateManifest({ ...base, jobs: { "video.render": {} }, extensionPoints: ["other.mask"], contributes: ["publisher.platform"] });
    expect(r.problems).toEqual(
      expect.arrayContaining([
        'jobs: "video.render" must start with "filters."',
        'contributes: "publisher.platform" belongs to "publisher", which must be listed in requires or optionalRequires',
      ]),
    );
    expect(validateManifest({ ...base, optionalRequires: { video: "^1.0.0" }, contributes: ["video.effect"] }).problems).toEqual([]);
    expect(validateManifest({ ...base, requires: { video: "^1.0.0" }, optionalRequires: { video: "^1.0.0", x: "one" } }).problems).toEqual([
      'optionalRequires: "video" is also in requires; list it in one of them',
      'optionalRequires.x: "one" is not a semver range',
    ]);
  });

  test("bad ids, versions and ranges are refused", () => {
    expect(validateManifest({ ...base, id: "Filters" }).problems[0]).toMatch(/\/id must match pattern/);
    expect(validateManifest({ ...base, version: "1.3" }).problems[0]).toMatch(/\/version must match pattern/);
    expect(validateManifest({ ...base, kernel: "one" }).problems).toEqual(['kernel: "one" is not a semver range']);
    expect(validateManifest({ ...base, panels: [{ id: "p", slot: "sidebar", title: "P", entry: "p.js" }] }).problems[0]).toMatch(
      /slot must be equal to one of the allowed values/,
    );
  });
});
