/**
 * Render benchmark: a 10-clip timeline through the video plugin's one-graph compiler against the
 * naive way (each clip re-encoded to its own file, then joined with the concat demuxer).
 * Both make the same picture (fit to 16:9, 30 fps, H.264/AAC, same preset); hard cuts, since the
 * naive way cannot cross-fade without another re-encode. A second figure renders the same
 * timeline with 9 xfade/acrossfade transitions in the one graph.
 *
 *   npx tsx --conditions=source scripts/bench/render.ts [--short 360] [--clip 2] [--runs 2]
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { compileTimeline, type SourceInfo } from "../../plugins/video/src/compiler/compile.js";
import { outputOptions } from "../../plugins/video/src/compiler/presets.js";
import { applyCommand, type Command, newProject } from "../../plugins/video/src/model/commands.js";
import { type ProjectDoc, resolutionFor, TRANSITIONS } from "../../plugins/video/src/model/types.js";
import { FFMPEG, probe, runFfmpeg } from "../../plugins/video/src/render/ffmpeg.js";

const run = promisify(execFile);
const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const SHORT = arg("short", 360);
const CLIP = arg("clip", 2);
const RUNS = arg("runs", 2);
const N = 10;
const FPS = 30;

const dir = mkdtempSync(path.join(os.tmpdir(), "bench-render-"));
const ff = (args: string[]) => run(FFMPEG, ["-y", "-loglevel", "error", "-nostdin", ...args]);

async function time(fn: () => Promise<void>): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best / 1000;
}

async function main() {
  // Sources: two 8 s camera-like files (4:3 and 16:9) the clips are cut from.
  const srcA = path.join(dir, "a.mp4");
  const srcB = path.join(dir, "b.mp4");
  const make = (file: string, size: string, freq: number) =>
    ff([
      "-f",
      "lavfi",
      "-i",
      `testsrc2=size=${size}:rate=${FPS}:duration=8`,
      "-f",
      "lavfi",
      "-i",
      `sine=frequency=${freq}:duration=8`,
      "-c:v",
      "libx264",
      "-preset",
      "veryfast",
      "-pix_fmt",
      "yuv420p",
      "-c:a",
      "aac",
      "-shortest",
      file,
    ]);
  await Promise.all([make(srcA, "960x720", 440), make(srcB, "1280x720", 330)]);
  const sources = new Map<string, SourceInfo>([
    ["a", await probe(srcA)],
    ["b", await probe(srcB)],
  ]);
  const media = new Map([...sources].map(([k, v]) => [k, { kind: v.kind, status: "ready" as const, durationS: v.durationS }]));

  let doc: ProjectDoc = newProject({ aspect: "16:9", shortSide: SHORT, fps: FPS, name: "bench" }, resolutionFor);
  const track = doc.tracks[0]?.id;
  const cuts: { src: string; in: number }[] = [];
  for (let i = 0; i < N; i++) {
    const src = i % 2 ? "b" : "a";
    const inPoint = (i * 0.7) % (8 - CLIP);
    cuts.push({ src, in: inPoint });
    doc = applyCommand(doc, { type: "addClip", trackId: track, assetId: src, in: inPoint, out: inPoint + CLIP } as Command, media);
  }
  const { width: W, height: H } = doc;
  const durationS = N * CLIP;

  // One graph, hard cuts.
  const onePlan = compileTimeline(doc, sources, { output: path.join(dir, "one.mp4"), format: "mp4", quality: "standard", workDir: dir });
  const one = await time(() => runFfmpeg(onePlan.args, { durationS: onePlan.durationS }));

  // Naive: each clip re-encoded alone (same fit/fps/codec settings), then the concat demuxer.
  const naive = await time(async () => {
    const parts: string[] = [];
    for (const [i, c] of cuts.entries()) {
      const out = path.join(dir, `part-${i}.mp4`);
      await ff([
        "-ss",
        String(c.in),
        "-t",
        String(CLIP),
        "-i",
        (sources.get(c.src) as SourceInfo).path,
        "-vf",
        `scale=${W}:${H}:force_original_aspect_ratio=decrease,pad=${W}:${H}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=${FPS}`,
        "-af",
        "aformat=sample_rates=48000:channel_layouts=stereo",
        ...outputOptions("mp4", "standard", FPS),
        out,
      ]);
      parts.push(`file '${out}'`);
    }
    writeFileSync(path.join(dir, "list.txt"), parts.join("\n"));
    await ff(["-f", "concat", "-safe", "0", "-i", path.join(dir, "list.txt"), "-c", "copy", path.join(dir, "naive.mp4")]);
  });

  // One graph with 9 transitions (0.5 s each).
  let withTransitions = doc;
  const ids = withTransitions.tracks[0]?.clips.map((c) => c.id) ?? [];
  for (let i = 0; i < N - 1; i++)
    withTransitions = applyCommand(withTransitions, {
      type: "addTransition",
      fromClipId: ids[i],
      kind: TRANSITIONS[i % TRANSITIONS.length],
      duration: 0.5,
    } as Command);
  const trPlan = compileTimeline(withTransitions, sources, { output: path.join(dir, "transitions.mp4"), format: "mp4", quality: "standard", workDir: dir });
  const tr = await time(() => runFfmpeg(trPlan.args, { durationS: trPlan.durationS }));

  const [pOne, pNaive] = await Promise.all([probe(path.join(dir, "one.mp4")), probe(path.join(dir, "naive.mp4"))]);
  const f = (x: number) => x.toFixed(3);
  console.log(`# ${N} clips × ${CLIP}s, ${W}×${H} @ ${FPS} fps, H.264 veryfast crf 23 + AAC, best of ${RUNS}, ${os.cpus().length} CPUs`);
  console.log(`one-graph render (cuts): ${f(one)} s (ratio ${f(one / naive)} vs naive per-clip encode + concat)`);
  console.log(`naive per-clip encode + concat: ${f(naive)} s (ratio 1.000 vs naive per-clip encode + concat)`);
  console.log(`one-graph realtime factor: ${f(durationS / one)} x (ratio ${f(naive / one)} vs naive per-clip encode + concat)`);
  console.log(`one-graph render with 9 transitions: ${f(tr)} s (ratio ${f(tr / one)} vs one-graph render (cuts))`);
  console.log(`output duration one-graph: ${f(pOne.durationS ?? 0)} s (ratio ${f((pOne.durationS ?? 0) / (pNaive.durationS ?? 1))} vs naive output duration)`);
  console.log(`transition timeline duration: ${f(trPlan.durationS)} s (ratio ${f(trPlan.durationS / durationS)} vs cuts timeline ${f(durationS)} s)`);
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => rmSync(dir, { recursive: true, force: true }));
