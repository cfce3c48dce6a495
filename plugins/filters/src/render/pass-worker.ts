/**
 * A render thread: runs rows of a pass. Pixels, maps and LUTs arrive in SharedArrayBuffers, so
 * nothing is copied and the rows it writes are in the caller's output buffer when it answers.
 */
import { parentPort } from "node:worker_threads";
import { type PassSpec, runPass } from "./pass.js";

parentPort?.on("message", (m: { id: number; spec: PassSpec; from: number; to: number }) => {
  try {
    runPass(m.spec, m.from, m.to);
    parentPort?.postMessage({ id: m.id });
  } catch (err) {
    parentPort?.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
});
