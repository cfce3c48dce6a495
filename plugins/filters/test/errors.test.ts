import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, test } from "vitest";
import { FILTERS_ERRORS } from "../src/errors.js";
import { pluginDir } from "./helpers.js";

test("the README's error table lists exactly the codes the plugin sends, with their statuses", () => {
  const readme = readFileSync(path.join(pluginDir, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Errors"));
  const rows = [...section.matchAll(/^\| (FILTERS_[A-Z_]+) \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
  expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(Object.entries(FILTERS_ERRORS).map(([code, e]) => [code, e.status])));
});
