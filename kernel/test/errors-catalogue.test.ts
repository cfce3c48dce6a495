import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { KERNEL_ERRORS } from "../src/errors.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const docPath = path.join(root, "docs/errors.md");
const kernelSrc = path.join(root, "kernel/src");

/** The rows of the table under `## Catalogue` in docs/errors.md, as code → status. */
function documentedCodes(): { codes: Map<string, number>; duplicates: string[] } {
  const lines = readFileSync(docPath, "utf8").split("\n");
  const start = lines.findIndex((l) => /^##\s+Catalogue\s*$/.test(l));
  if (start < 0) throw new Error(`${docPath} has no "## Catalogue" section`);
  const end = lines.findIndex((l, i) => i > start && /^##\s/.test(l));
  const section = lines.slice(start + 1, end < 0 ? undefined : end);
  const codes = new Map<string, number>();
  const duplicates: string[] = [];
  for (const line of section) {
    const row = /^\|\s*`([A-Z0-9_]+)`\s*\|\s*(\d{3})\s*\|/.exec(line);
    if (!row) continue;
    const [, code, status] = row as unknown as [string, string, string];
    if (codes.has(code)) duplicates.push(code);
    codes.set(code, Number(status));
  }
  return { codes, duplicates };
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.(ts|js|mjs)$/.test(entry.name) && !entry.name.endsWith(".d.ts") ? [full] : [];
  });
}

/** Every `kernelError("X"` and every quoted `"KERNEL_…"` string under kernel/src, with where it is. */
function codesUsedInSource(): Map<string, string[]> {
  const used = new Map<string, string[]>();
  const patterns = [/kernelError\(\s*["'`]([A-Za-z0-9_]+)["'`]/g, /["'`](KERNEL_[A-Z0-9_]+)["'`]/g];
  for (const file of sourceFiles(kernelSrc)) {
    const text = readFileSync(file, "utf8");
    for (const pattern of patterns) {
      for (const match of text.matchAll(pattern)) {
        const code = match[1] as string;
        const line = text.slice(0, match.index).split("\n").length;
        used.set(code, [...(used.get(code) ?? []), `${path.relative(root, file)}:${line}`]);
      }
    }
  }
  return used;
}

describe("error catalogue", () => {
  const catalogue = new Map(Object.entries(KERNEL_ERRORS).map(([code, e]) => [code, e.status as number]));

  test("docs/errors.md lists each code once", () => {
    const { codes, duplicates } = documentedCodes();
    expect(codes.size).toBeGreaterThan(0);
    expect(duplicates).toEqual([]);
  });

  test("docs/errors.md has exactly the codes and statuses of KERNEL_ERRORS", () => {
    const { codes } = documentedCodes();
    const sorted = (m: Map<string, number>) => Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b)));
    expect(sorted(codes)).toEqual(sorted(catalogue));
  });

  test("every code used under kernel/src is in KERNEL_ERRORS", () => {
    const used = codesUsedInSource();
    expect(used.size).toBeGreaterThan(0);
    const missing = [...used].filter(([code]) => !catalogue.has(code)).map(([code, where]) => `${code} (${where.join(", ")})`);
    expect(missing).toEqual([]);
  });
});
