import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { VIDEO_ERRORS } from "../src/errors.js";

test("the README's error table lists exactly the codes the plugin sends, with their statuses", () => {
  const readme = readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Errors"));
  const rows = [...section.matchAll(/^\| (VIDEO_[A-Z_]+) \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
  expect(Object.fromEntries(rows)).toEqual(VIDEO_ERRORS);
});
