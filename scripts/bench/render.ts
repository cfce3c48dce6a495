/**
 * Render benchmark (issue 9): a 60-second, 1080×1920 (9:16) @ 30 fps timeline of 5 clips joined by
 * 4 transitions (xfade + acrossfade, 0.5 s each) with 3 animated text layers, rendered through the
 * video plugin's one-graph compiler, against ONE hand-written ffmpeg command doing the same work:
 * the same inputs and seeks, the same fit (scale+crop / scale+pad), fps, xfades, acrossfades,
 * drawtexts and encoder settings, written out below by hand with no compiler bookkeeping (no tpad/trim
 * frame counting, no apad/atrim sample counting, no silence bed under an amix).
 *
 *   npx tsx --conditions=source scripts/bench/render.ts [--runs 2] [--quality standard] [--naive]
 *
 * Sources: 5 lavfi files (testsrc2 + a sine tone, 14 s each, of different sizes: 16:9, 9:16, 4:3,
 * 720p, 720×1280) made once into a temp dir before timing. Runs alternate compiled / hand-written
 * so that load on the machine hits both alike; each figure is the best of `--runs`.
 * `--naive` adds the older comparison: the same 5 clips with hard cuts in one graph against each
 * clip encoded alone then joined with the concat demuxer.
 * The figure lines come last on stdout, as `<figure>: <value> <unit> (ratio <r> vs <baseline>)`.
 */
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { compileTimeline, type SourceInfo } from "../../plugins/video/src/compiler/compile.js";
import { outputOptions, RENDER_QUALITIES, type RenderQuality } from "../../plugins/video/src/compiler/presets.js";
import { applyCommand, type Command, FONTS, newProject } from "../../plugins/video/src/model/commands.js";
import { type ProjectDoc, resolutionFor } from "../../plugins/video/src/model/types.js";
import { FFMPEG, FFPROBE, probe, runFfmpeg } from "../../plugins/video/src/render/ffmpeg.js";

const exec = promisify(execFile);
const argOf = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const RUNS = Number(argOf("runs") ?? 2);
const QUALITY = (argOf("quality") ?? "standard") as RenderQuality;
const NAIVE = process.argv.includes("--naive");
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error("--runs must be a whole number ≥ 1");
if (!RENDER_QUALITIES.includes(QUALITY)) throw new Error(`--quality must be one of ${RENDER_QUALITIES.join(", ")}`);

const W = 1080;
const H = 1920;
const FPS = 30;
const CLIPS = 5;
const IN = 0.5;
const LEN = 12.4; // 5 × 12.4 s − 4 × 0.5 s of overlap = 60 s
const TRANSITION = 0.5;
const KINDS = ["fade", "wipeleft", "slideup", "dissolve"] as const;
const SOURCES = [
  { size: "1920x1080", freq: 330, fit: "fill" },
  { size: "1080x1920", freq: 440, fit: "fit" },
  { size: "1440x1080", freq: 550, fit: "fit" },
  { size: "1280x720", freq: 660, fit: "fill" },
  { size: "720x1280", freq: 770, fit: "fill" },
] as const;
const FONT = FONTS["DejaVu Sans"] as string;
const TEXTS = [
  { content: "CREALIA BENCH", start: 0, duration: 3, size: 96, y: 0.2, animIn: "fade", animOut: "fade" },
  { content: "Five clips, four transitions", start: 20, duration: 6, size: 64, y: 0.8, animIn: "slide-up", animOut: "fade" },
  { content: "The end", start: 55, duration: 5, size: 120, y: 0.5, animIn: "fade", animOut: "none" },
] as const;

const dir = mkdtempSync(path.join(os.tmpdir(), "bench-render-"));
const ff = (args: string[]) => exec(FFMPEG, ["-hide_banner", "-nostdin", "-y", "-loglevel", "error", ...args], { maxBuffer: 1 << 26 });

/** Runs ffmpeg as a plain child process (the hand-written baseline: no progress pipe, nothing around it). */
function spawnFfmpeg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(FFMPEG, args, { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}: ${err.slice(-2000)}`))));
  });
}

/** CPU seconds (user + system) of this process's finished children, from /proc (Linux; clock ticks of 1/100 s). */
function childrenCpuS(): number {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return Number.NaN;
  }
}

async function makeSources(): Promise<string[]> {
  const files = SOURCES.map((_, i) => path.join(dir, `src-${i}.mp4`));
  // Two at a time: the machine may have few cores.
  for (let i = 0; i < SOURCES.length; i += 2)
    await Promise.all(
      SOURCES.slice(i, i + 2).map((s, j) =>
        ff([
          "-f",
          "lavfi",
          "-i",
          `testsrc2=size=${s.size}:rate=${FPS}:duration=14`,
          "-f",
          "lavfi",
          "-i",
          `sine=frequency=${s.freq}:sample_rate=44100:duration=14`,
          "-c:v",
          "libx264",
          "-preset",
          "superfast",
          "-crf",
          "20",
          "-g",
          String(FPS * 2),
          "-pix_fmt",
          "yuv420p",
          "-c:a",
          "aac",
          "-shortest",
          files[i + j] as string,
        ]),
      ),
    );
  return files;
}

/** The timeline, built through the plugin's own commands (as the API would). */
function buildDoc(sources: Map<string, SourceInfo>, withTransitions: boolean, withText: boolean): ProjectDoc {
  const media = new Map([...sources].map(([k, v]) => [k, { kind: v.kind, status: "ready" as const, durationS: v.durationS }]));
  let doc = newProject({ name: "bench", aspect: "9:16", shortSide: 1080, fps: FPS }, resolutionFor);
  const [main, text] = doc.tracks.map((t) => t.id);
  SOURCES.forEach((s, i) => {
    doc = applyCommand(doc, { type: "addClip", trackId: main, assetId: `s${i}`, in: IN, out: IN + LEN, fit: s.fit } as Command, media);
  });
  const ids = doc.tracks[0]?.clips.map((c) => c.id) ?? [];
  if (withTransitions)
    KINDS.forEach((kind, i) => {
      doc = applyCommand(doc, { type: "addTransition", fromClipId: ids[i], kind, duration: TRANSITION } as Command);
    });
  if (withText)
    for (const t of TEXTS)
      doc = applyCommand(doc, {
        type: "addClip",
        trackId: text,
        start: t.start,
        duration: t.duration,
        text: { content: t.content, size: t.size, y: t.y, strokeWidth: 4, animIn: t.animIn, animOut: t.animOut },
      } as Command);
  if (doc.width !== W || doc.height !== H) throw new Error(`unexpected resolution ${doc.width}×${doc.height}`);
  return doc;
}

/** The same render as ONE ffmpeg command written by hand. */
function handWritten(files: string[], output: string): string[] {
  const fitChain = (i: number) =>
    SOURCES[i]?.fit === "fill"
      ? `scale=${W}:${H}:force_original_aspect_ratio=increase,crop=${W}:${H}`
      : `scale=${W}:${H}:force_original_aspect_ratio=decrease,pad=${W}:${H}:(ow-iw)/2:(oh-ih)/2:color=black`;
  const q = (s: string) => `'${s}'`;
  const text = (t: (typeof TEXTS)[number]) => {
    const end = t.start + t.duration;
    const a = 0.4;
    const fadeIn = `min(1,(t-${t.start})/${a})`;
    const fadeOut = t.animOut === "none" ? "1" : `min(1,(${end}-t)/${a})`;
    const slide = t.animIn === "slide-up" ? `+max(0,1-(t-${t.start})/${a})*h*0.08` : "";
    return [
      `drawtext=fontfile=${FONT}`,
      `text=${q(t.content)}`,
      `fontsize=${t.size}`,
      "fontcolor=white",
      "borderw=4",
      "bordercolor=black",
      `x=${q("(w-text_w)/2")}`,
      `y=${q(`h*${t.y}-text_h/2${slide}`)}`,
      `alpha=${q(`min(${fadeIn},${fadeOut})`)}`,
      `enable=${q(`between(t,${t.start},${end})`)}`,
    ].join(":");
  };
  const graph: string[] = [];
  for (let i = 0; i < CLIPS; i++) {
    graph.push(`[${i}:v]setpts=PTS-STARTPTS,${fitChain(i)},setsar=1,fps=${FPS}[v${i}]`);
    graph.push(`[${i}:a]asetpts=PTS-STARTPTS,aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo[a${i}]`);
  }
  let v = "v0";
  let a = "a0";
  for (let i = 1; i < CLIPS; i++) {
    const offset = Math.round(i * (LEN - TRANSITION) * 1e6) / 1e6;
    graph.push(`[${v}][v${i}]xfade=transition=${KINDS[i - 1]}:duration=${TRANSITION}:offset=${offset}[x${i}]`);
    graph.push(`[${a}][a${i}]acrossfade=d=${TRANSITION}:c1=tri:c2=tri[ax${i}]`);
    v = `x${i}`;
    a = `ax${i}`;
  }
  graph.push(`[${v}]${TEXTS.map(text).join(",")}[vout]`);
  const encoder: Record<RenderQuality, string[]> = {
    draft: ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "30", "-pix_fmt", "yuv420p", "-r", "30", "-c:a", "aac", "-b:a", "96k"],
    standard: ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", "-r", "30", "-c:a", "aac", "-b:a", "128k"],
    high: ["-c:v", "libx264", "-preset", "slow", "-crf", "18", "-pix_fmt", "yuv420p", "-r", "30", "-c:a", "aac", "-b:a", "192k"],
  };
  return [
    "-hide_banner",
    "-nostdin",
    "-y",
    "-loglevel",
    "error",
    ...files.flatMap((f) => ["-ss", String(IN), "-t", String(LEN), "-i", f]),
    "-filter_complex",
    graph.join(";"),
    "-map",
    "[vout]",
    "-map",
    `[${a}]`,
    ...encoder[QUALITY],
    "-movflags",
    "+faststart",
    output,
  ];
}

async function frameCount(file: string): Promise<number> {
  const { stdout } = await exec(FFPROBE, [
    "-v",
    "error",
    "-count_packets",
    "-select_streams",
    "v:0",
    "-show_entries",
    "stream=nb_read_packets",
    "-of",
    "csv=p=0",
    file,
  ]);
  return Number(stdout.trim());
}

/** PSNR of one render's picture against the other's (how alike the two commands' outputs are). */
async function psnr(a: string, b: string): Promise<number> {
  const { stderr } = await exec(FFMPEG, ["-hide_banner", "-nostdin", "-i", a, "-i", b, "-lavfi", "[0:v][1:v]psnr", "-f", "null", "-"], { maxBuffer: 1 << 26 });
  const m = /average:([0-9.]+|inf)/.exec(stderr);
  return m?.[1] === "inf" ? Number.POSITIVE_INFINITY : Number(m?.[1] ?? Number.NaN);
}

async function main() {
  const t0 = performance.now();
  const files = await makeSources();
  const sources = new Map<string, SourceInfo>();
  for (const [i, f] of files.entries()) sources.set(`s${i}`, await probe(f));
  process.stderr.write(`sources made in ${((performance.now() - t0) / 1000).toFixed(1)} s (not counted)\n`);

  const doc = buildDoc(sources, true, true);
  const oursOut = path.join(dir, "compiled.mp4");
  const handOut = path.join(dir, "hand.mp4");
  const hand = handWritten(files, handOut);
  // The hand-written encoder options are the plugin's preset, spelt out.
  const preset = outputOptions("mp4", QUALITY, FPS);
  for (const opt of ["-preset", "-crf", "-b:a"]) {
    const mine = hand[hand.indexOf(opt) + 1];
    const theirs = preset[preset.indexOf(opt) + 1];
    if (mine !== theirs) throw new Error(`hand-written ${opt} ${mine} differs from the plugin's ${theirs}`);
  }

  let ours = Number.POSITIVE_INFINITY;
  let handBest = Number.POSITIVE_INFINITY;
  let oursCpu = Number.POSITIVE_INFINITY;
  let handCpu = Number.POSITIVE_INFINITY;
  let planDuration = 0;
  let compileMs = Number.POSITIVE_INFINITY;
  for (let r = 0; r < RUNS; r++) {
    // Alternate which goes first, so a slow spell on the machine hits both.
    const order = r % 2 === 0 ? (["ours", "hand"] as const) : (["hand", "ours"] as const);
    for (const which of order) {
      const start = performance.now();
      const cpu0 = childrenCpuS();
      if (which === "ours") {
        const plan = compileTimeline(doc, sources, { output: oursOut, format: "mp4", quality: QUALITY, workDir: dir, ffmpegPath: FFMPEG });
        compileMs = Math.min(compileMs, performance.now() - start);
        for (const f of plan.files) writeFileSync(f.path, f.content);
        planDuration = plan.durationS;
        await runFfmpeg(plan.args, { durationS: plan.durationS, onProgress: () => {} });
        ours = Math.min(ours, (performance.now() - start) / 1000);
        oursCpu = Math.min(oursCpu, childrenCpuS() - cpu0);
      } else {
        await spawnFfmpeg(hand);
        handBest = Math.min(handBest, (performance.now() - start) / 1000);
        handCpu = Math.min(handCpu, childrenCpuS() - cpu0);
      }
      process.stderr.write(`run ${r + 1}/${RUNS} ${which}: ${((performance.now() - start) / 1000).toFixed(2)} s\n`);
    }
  }

  const [pOurs, pHand, fOurs, fHand, similarity] = await Promise.all([
    probe(oursOut),
    probe(handOut),
    frameCount(oursOut),
    frameCount(handOut),
    psnr(oursOut, handOut),
  ]);

  let naive: { one: number; naive: number } | null = null;
  if (NAIVE) {
    const cuts = buildDoc(sources, false, false);
    const onePlan = compileTimeline(cuts, sources, { output: path.join(dir, "cuts.mp4"), format: "mp4", quality: QUALITY, workDir: dir });
    let one = Number.POSITIVE_INFINITY;
    let naiveBest = Number.POSITIVE_INFINITY;
    for (let r = 0; r < RUNS; r++) {
      let s = performance.now();
      await runFfmpeg(onePlan.args, { durationS: onePlan.durationS });
      one = Math.min(one, (performance.now() - s) / 1000);
      s = performance.now();
      const parts: string[] = [];
      for (let i = 0; i < CLIPS; i++) {
        const out = path.join(dir, `part-${i}.mp4`);
        const fit =
          SOURCES[i]?.fit === "fill"
            ? `scale=${W}:${H}:force_original_aspect_ratio=increase,crop=${W}:${H}`
            : `scale=${W}:${H}:force_original_aspect_ratio=decrease,pad=${W}:${H}:(ow-iw)/2:(oh-ih)/2`;
        await ff([
          "-ss",
          String(IN),
          "-t",
          String(LEN),
          "-i",
          files[i] as string,
          "-vf",
          `${fit},setsar=1,fps=${FPS}`,
          "-af",
          "aformat=sample_rates=48000:channel_layouts=stereo",
          ...outputOptions("mp4", QUALITY, FPS),
          out,
        ]);
        parts.push(`file '${out}'`);
      }
      writeFileSync(path.join(dir, "list.txt"), parts.join("\n"));
      await ff(["-f", "concat", "-safe", "0", "-i", path.join(dir, "list.txt"), "-c", "copy", path.join(dir, "naive.mp4")]);
      naiveBest = Math.min(naiveBest, (performance.now() - s) / 1000);
    }
    naive = { one, naive: naiveBest };
  }

  const f3 = (x: number) => x.toFixed(3);
  const hw = "hand-written one-command ffmpeg";
  console.log(
    `# ${CLIPS} clips (${LEN} s each), ${KINDS.length} transitions of ${TRANSITION} s, ${TEXTS.length} text layers; ${W}×${H} @ ${FPS} fps, ` +
      `H.264 ${QUALITY} + AAC; best of ${RUNS}, alternating; ${os.cpus().length} CPUs, load ${os.loadavg()[0]?.toFixed(2)}; ffmpeg ${FFMPEG}`,
  );
  console.log(
    `# compiled vs hand-written picture: PSNR ${Number.isFinite(similarity) ? similarity.toFixed(1) : "inf"} dB (both lossy; ffmpeg 5.1's xfade drops a frame ` +
      `when its first input ends inside the transition, so the hand-written output repeats one per transition and drifts a frame; the compiler pads ` +
      `each clip and trims to exact frame counts); compile step ${compileMs.toFixed(2)} ms`,
  );
  console.log(`render time: ${f3(ours)} s (ratio ${f3(ours / handBest)} vs ${hw} ${f3(handBest)} s)`);
  console.log(`realtime factor: ${f3(planDuration / ours)} x (ratio ${f3(handBest / ours)} vs ${hw} ${f3(planDuration / handBest)} x)`);
  console.log(`render CPU time: ${f3(oursCpu)} s (ratio ${f3(oursCpu / handCpu)} vs ${hw} ${f3(handCpu)} s)`);
  console.log(
    `output duration: ${f3(pOurs.durationS ?? 0)} s (ratio ${f3((pOurs.durationS ?? 0) / (pHand.durationS ?? 1))} vs ${hw} ${f3(pHand.durationS ?? 0)} s)`,
  );
  console.log(`output frames: ${fOurs} frames (ratio ${f3(fOurs / fHand)} vs ${hw} ${fHand} frames)`);
  if (naive) {
    const nd = CLIPS * LEN;
    console.log(
      `one-graph render, hard cuts, no text: ${f3(naive.one)} s (ratio ${f3(naive.one / naive.naive)} vs naive per-clip encode + concat ${f3(naive.naive)} s)`,
    );
    console.log(
      `one-graph realtime factor, hard cuts: ${f3(nd / naive.one)} x (ratio ${f3(naive.naive / naive.one)} vs naive per-clip encode + concat ${f3(nd / naive.naive)} x)`,
    );
  }
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => (process.env.BENCH_KEEP ? process.stderr.write(`kept ${dir}\n`) : rmSync(dir, { recursive: true, force: true })));
