import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { buildSdkReport, reportPath } from "../../scripts/api/sdk-report.js";

test("kernel/sdk.api.md matches the SDK (regenerate with `npx tsx scripts/api/sdk-report.ts` and review the diff)", () => {
  expect(buildSdkReport()).toBe(readFileSync(reportPath, "utf8"));
}, 60_000);
