import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { FACE_ERRORS } from "../src/errors.js";

test("every error code is documented in the README with its status, and the README lists no other FACE_ code", () => {
  const readme = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), "../README.md"), "utf8");
  for (const [code, { status }] of Object.entries(FACE_ERRORS)) expect(readme).toMatch(new RegExp(`\\| \`${code}\`\\s*\\| ${status}\\s*\\|`));
  const documented = [...readme.matchAll(/\| `(FACE_[A-Z_]+)`/g)].map((m) => m[1]);
  expect(documented.sort()).toEqual(Object.keys(FACE_ERRORS).sort());
});
