/**
 * Ingest benchmark: N generated 12-megapixel JPEGs uploaded through the kernel's HTTP route
 * (validation, storage, the `kernel.ingest` job making every thumbnail), against the same
 * thumbnails made by bare sharp in one loop over the same files, in this process.
 *
 *   npx tsx scripts/bench/ingest.ts [--count 200] [--distinct 8]
 *
 * The kernel runs on embedded defaults (PGlite in memory, local disk, in-process jobs).
 * The last lines are `<figure>: <value> <unit> (ratio <r> vs <baseline>)`.
 */
process.env.CREALIA_SOURCE = "1";

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";

const { createTestKernel } = await import("../../kernel/src/testing/index.js");
const { DEFAULT_THUMBNAILS, makeThumbnails } = await import("../../kernel/src/assets/derivatives.js");
const { multipart } = await import("../../kernel/test/assets/media-fixtures.js");

const { values } = parseArgs({ options: { count: { type: "string", default: "200" }, distinct: { type: "string", default: "8" } } });
const count = Number(values.count);
const distinct = Math.min(Number(values.distinct), count);
const work = mkdtempSync(path.join(os.tmpdir(), "crealia-bench-ingest-"));

/** A 4000 × 3000 photo-like image: smooth gradients plus mild noise, so JPEG sizes are realistic. */
async function photo(i: number): Promise<string> {
  const width = 4000;
  const height = 3000;
  const noise = await sharp({ create: { width, height, channels: 3, background: { r: 0, g: 0, b: 0 }, noise: { type: "gaussian", mean: 128, sigma: 30 } } })
    .blur(1.2)
    .raw()
    .toBuffer();
  const file = path.join(work, `photo-${i}.jpg`);
  await sharp(noise, { raw: { width, height, channels: 3 } })
    .composite([
      {
        input: Buffer.from(
          `<svg width="${width}" height="${height}"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="hsl(${i * 45},70%,55%)"/><stop offset="1" stop-color="hsl(${i * 45 + 120},60%,35%)"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)" opacity="0.85"/></svg>`,
        ),
      },
    ])
    .jpeg({ quality: 88 })
    .toFile(file);
  return file;
}

process.stderr.write(`generating ${distinct} distinct 12 MP JPEGs…\n`);
const sources = await Promise.all(Array.from({ length: distinct }, (_, i) => photo(i)));
const files = Array.from({ length: count }, (_, i) => sources[i % distinct] as string);
const bytes = sources.map((f) => readFileSync(f));

// Baseline: bare sharp, one loop, the same thumbnails from the same files.
process.stderr.write("baseline: bare sharp loop…\n");
const outDir = path.join(work, "baseline");
const { mkdirSync } = await import("node:fs");
mkdirSync(outDir, { recursive: true });
const baseStart = performance.now();
for (const file of files) await makeThumbnails(file, outDir, DEFAULT_THUMBNAILS, 200_000_000);
const baseSeconds = (performance.now() - baseStart) / 1000;

// Kernel: HTTP upload → validation → blob store → ingest job → thumbnails stored.
process.stderr.write("kernel: upload + ingest jobs…\n");
const t = await createTestKernel({ plugins: [] });
const kernelStart = performance.now();
const jobIds: string[] = [];
for (let i = 0; i < count; i++) {
  const res = await t.inject({ method: "POST", url: "/api/assets", ...multipart({ name: `photo-${i}.jpg`, data: bytes[i % distinct] as Buffer }) });
  if (res.statusCode !== 201) throw new Error(`upload ${i} failed: ${res.body}`);
  jobIds.push(res.json().jobId);
}
for (const id of jobIds) {
  const job = await t.waitForJob(id, { timeoutMs: 600_000 });
  if (job.status !== "succeeded") throw new Error(`ingest ${id} ${job.status}: ${JSON.stringify(job.error)}`);
}
const kernelSeconds = (performance.now() - kernelStart) / 1000;
await t.close();
rmSync(work, { recursive: true, force: true });
writeFileSync("/dev/null", "");

const basePerSec = count / baseSeconds;
const kernelPerSec = count / kernelSeconds;
console.log(`ingest 12MP JPEG throughput: ${kernelPerSec.toFixed(2)} images/s (ratio ${(kernelPerSec / basePerSec).toFixed(2)} vs bare sharp thumbnails loop)`);
console.log(`bare sharp thumbnails loop: ${basePerSec.toFixed(2)} images/s (ratio 1.00 vs bare sharp thumbnails loop)`);
