// Prints the test run's closing line ("N passed, N failed") from vitest's JSON report.
import { readFileSync } from "node:fs";

const file = process.argv[2];
try {
  const report = JSON.parse(readFileSync(file, "utf8"));
  const skipped = report.numPendingTests + report.numTodoTests;
  console.log(`${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ""}`);
} catch (err) {
  console.log(`0 passed, 1 failed (no test report at ${file}: ${err.message})`);
  process.exitCode = 1;
}
