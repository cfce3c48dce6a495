/**
 * Converts an ncnn model to ONNX with the kernel's converter, the same one `crealia models fetch`
 * runs for a manifest whose source has `convert: { from: "ncnn" }`. Prints the output's sha256 and
 * size (what such a manifest records) and the graph's inputs and outputs.
 *
 *   npx tsx scripts/models/ncnn-to-onnx.ts model.param model.bin model.onnx
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { convertNcnnToOnnx, ncnnToOnnxGraph } from "../../kernel/src/models/convert/ncnn.js";

const [param, bin, out] = process.argv.slice(2);
if (!param || !bin || !out) {
  console.error("usage: npx tsx scripts/models/ncnn-to-onnx.ts <in.param> <in.bin> <out.onnx>");
  process.exit(2);
}
try {
  const paramText = readFileSync(param, "utf8");
  const weights = readFileSync(bin);
  const name = path.basename(out, ".onnx");
  const bytes = convertNcnnToOnnx(paramText, weights, { name });
  writeFileSync(out, bytes);
  const graph = ncnnToOnnxGraph(paramText, weights, name);
  console.log(`wrote ${out}: ${bytes.length} B, sha256 ${createHash("sha256").update(bytes).digest("hex")}`);
  const described = (v: { name: string; shape?: (number | string)[] }) => `${v.name} [${(v.shape ?? []).join(", ")}]`;
  console.log(`inputs: ${graph.inputs.map(described).join("; ")}`);
  console.log(`outputs: ${graph.outputs.map(described).join("; ")}; ${graph.nodes.length} nodes, ${graph.initializers.length} initializers`);
} catch (err) {
  console.error(`ncnn-to-onnx: ${(err as Error).message}`);
  process.exit(1);
}
