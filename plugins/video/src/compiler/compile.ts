import path from "node:path";
import { FONTS } from "../model/commands.js";
import { type Clip, clipDuration, clipEnd, type ProjectDoc, projectDuration, resolutionFor, type TextLayer, type Track } from "../model/types.js";
import { atempoChain, q, volumeKeyframeExpr } from "./expr.js";
import { outputOptions, type RenderFormat, type RenderQuality } from "./presets.js";

/** A source file the render reads, as probed. */
export interface SourceInfo {
  path: string;
  kind: "video" | "image" | "audio";
  hasVideo: boolean;
  hasAudio: boolean;
  durationS: number | null;
}

export interface CompileOptions {
  output: string;
  format: RenderFormat;
  quality: RenderQuality;
  /** Where text files for drawtext go. */
  workDir: string;
  /** Preview: render at this short side instead of the project's. */
  shortSide?: number;
  /** Per clip, the ffmpeg filter chains of its effects (resolved beforehand). */
  effects?: ReadonlyMap<string, string[]>;
  ffmpegPath?: string;
}

export interface RenderPlan {
  /** argv of ffmpeg, without the binary. */
  args: string[];
  /** The binary and args as one shell-quoted line, for reading and pasting. */
  command: string;
  graph: string;
  durationS: number;
  frames: number;
  width: number;
  height: number;
  /** Files the command reads that the compiler made (drawtext text). */
  files: { path: string; content: string }[];
}

const AR = 48000;
const AFMT = `aformat=sample_fmts=fltp:sample_rates=${AR}:channel_layouts=stereo`;

const n6 = (x: number) => String(Math.round(x * 1e6) / 1e6);

class GraphBuilder {
  readonly inputs: string[][] = [];
  readonly chains: string[] = [];
  private label = 0;

  input(args: string[]): number {
    this.inputs.push(args);
    return this.inputs.length - 1;
  }
  fresh(prefix: string): string {
    return `${prefix}${this.label++}`;
  }
  add(ins: string[], filters: string[], out: string): string {
    this.chains.push(`${ins.map((l) => `[${l}]`).join("")}${filters.join(",")}[${out}]`);
    return out;
  }
}

/** Compiles the whole timeline into one ffmpeg command with one filter graph. */
export function compileTimeline(doc: ProjectDoc, sources: ReadonlyMap<string, SourceInfo>, opts: CompileOptions): RenderPlan {
  const fps = doc.fps;
  const { width: W, height: H } = opts.shortSide ? resolutionFor(doc.aspect, opts.shortSide) : { width: doc.width, height: doc.height };
  const scale = W / doc.width;
  const frames = Math.round(projectDuration(doc) * fps);
  if (frames < 1) throw new Error("empty timeline");
  const T = frames / fps;
  const totalSamples = Math.round(T * AR);
  const g = new GraphBuilder();
  const files: RenderPlan["files"] = [];
  const audioMix: string[] = [];
  const speech: string[] = [];
  const music: string[] = [];

  const framesOf = (c: Clip) => Math.max(1, Math.round(clipDuration(c) * fps));
  const sourceOf = (c: Clip): SourceInfo => {
    const s = c.assetId ? sources.get(c.assetId) : undefined;
    if (!s) throw new Error(`no source for clip ${c.id}`);
    return s;
  };

  /** One input per clip, seeked at the input so only the used range is decoded. */
  const inputFor = (c: Clip): number => {
    const s = sourceOf(c);
    const n = framesOf(c);
    if (s.kind === "image") {
      return c.kenBurns ? g.input(["-i", s.path]) : g.input(["-loop", "1", "-framerate", String(fps), "-t", n6(n / fps), "-i", s.path]);
    }
    return g.input(["-ss", n6(c.in), "-t", n6(c.out - c.in), "-i", s.path]);
  };

  const fitFilters = (c: Clip, w: number, h: number, into: string, idx: number): string => {
    const s = sourceOf(c);
    const n = framesOf(c);
    const src = `${idx}:v`;
    if (s.kind === "image" && c.kenBurns) {
      const { from, to } = c.kenBurns;
      const z = `${from}+(${to - from})*on/${Math.max(1, n - 1)}`;
      return g.add(
        [src],
        [
          `scale=${w * 2}:${h * 2}:force_original_aspect_ratio=increase`,
          `crop=${w * 2}:${h * 2}`,
          `zoompan=z=${q(z)}:x=${q("iw/2-(iw/zoom/2)")}:y=${q("ih/2-(ih/zoom/2)")}:d=${n}:s=${w}x${h}:fps=${fps}`,
        ],
        into,
      );
    }
    const speed = s.kind === "image" ? [] : [`setpts=(PTS-STARTPTS)/${c.speed}`];
    if (c.fit === "fill") return g.add([src], [...speed, `scale=${w}:${h}:force_original_aspect_ratio=increase`, `crop=${w}:${h}`, "setsar=1"], into);
    if (c.fit === "fit")
      return g.add(
        [src],
        [...speed, `scale=${w}:${h}:force_original_aspect_ratio=decrease`, `pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2:color=${doc.background}`, "setsar=1"],
        into,
      );
    // blur-fill: the frame filled by a blurred copy, the whole picture fitted on top.
    const a = g.fresh("bg");
    const b = g.fresh("fg");
    g.add([src], [...speed, "split=2"], `${a}][${b}`);
    const bg = g.add([a], [`scale=${w}:${h}:force_original_aspect_ratio=increase`, `crop=${w}:${h}`, "boxblur=20:2"], g.fresh("bgb"));
    const fg = g.add([b], [`scale=${w}:${h}:force_original_aspect_ratio=decrease`], g.fresh("fgs"));
    return g.add([bg, fg], ["overlay=(W-w)/2:(H-h)/2", "setsar=1"], into);
  };

  /** A clip's picture: exactly its frame count at the project fps, faded, effects applied. */
  const videoSegment = (c: Clip, w: number, h: number, alpha: boolean): string => {
    const idx = inputFor(c);
    const n = framesOf(c);
    const d = n / fps;
    const fitted = fitFilters(c, w, h, g.fresh("fit"), idx);
    const fx = opts.effects?.get(c.id) ?? [];
    const fades: string[] = [];
    if (c.fadeIn > 0) fades.push(`fade=t=in:st=0:d=${n6(c.fadeIn)}${alpha ? ":alpha=1" : ""}`);
    if (c.fadeOut > 0) fades.push(`fade=t=out:st=${n6(d - c.fadeOut)}:d=${n6(c.fadeOut)}${alpha ? ":alpha=1" : ""}`);
    return g.add(
      [fitted],
      [
        ...fx,
        `fps=${fps}`,
        "tpad=stop_mode=clone:stop=-1",
        `trim=end_frame=${n}`,
        "setpts=PTS-STARTPTS",
        alpha ? "format=yuva420p" : "format=yuv420p",
        ...fades,
      ],
      g.fresh("v"),
    );
  };

  /** A clip's sound: exactly its length in samples, at its speed, volume, keyframes and fades. */
  const audioSegment = (c: Clip, idx: number | null): string => {
    const samples = Math.round((framesOf(c) / fps) * AR);
    const d = samples / AR;
    const s = c.assetId ? sources.get(c.assetId) : undefined;
    const shape = [
      ...(c.volume !== 1 ? [`volume=${c.volume}`] : []),
      ...(c.volumeKeyframes.length ? [`volume=${q(volumeKeyframeExpr(c.volumeKeyframes))}:eval=frame`] : []),
      ...(c.fadeIn > 0 ? [`afade=t=in:st=0:d=${n6(c.fadeIn)}`] : []),
      ...(c.fadeOut > 0 ? [`afade=t=out:st=${n6(d - c.fadeOut)}:d=${n6(c.fadeOut)}`] : []),
    ];
    if (idx === null || !s?.hasAudio) return g.add([], [`anullsrc=r=${AR}:cl=stereo`, `atrim=end_sample=${samples}`], g.fresh("a"));
    return g.add(
      [`${idx}:a`],
      ["asetpts=PTS-STARTPTS", ...atempoChain(c.speed), AFMT, "apad", `atrim=end_sample=${samples}`, "asetpts=PTS-STARTPTS", ...shape],
      g.fresh("a"),
    );
  };

  // ---- the main track: clips and gaps chained with concat (cuts) and xfade/acrossfade (transitions) ----
  const main = doc.tracks.find((t) => t.kind === "video");
  let base: string;
  let mainAudio: string | null = null;
  {
    type Seg = { v: string; a: string | null; frames: number; transition: { kind: string; frames: number } | null };
    const segs: Seg[] = [];
    const gap = (from: number, to: number) => {
      const n = Math.round(to * fps) - Math.round(from * fps);
      if (n <= 0) return;
      const samples = Math.round((n / fps) * AR);
      segs.push({
        v: g.add([], [`color=c=${doc.background}:s=${W}x${H}:r=${fps}:d=${n6(n / fps)}`, "format=yuv420p", "setsar=1"], g.fresh("gap")),
        a: withAudio ? g.add([], [`anullsrc=r=${AR}:cl=stereo`, `atrim=end_sample=${samples}`], g.fresh("gapa")) : null,
        frames: n,
        transition: null,
      });
    };
    let cursor = 0;
    const clips = main ? [...main.clips].sort((a, b) => a.start - b.start) : [];
    const withAudio = !!main && !main.muted && clips.length > 0;
    for (const c of clips) {
      const tr = main?.transitions.find((t) => t.toClipId === c.id) ?? null;
      if (!tr) gap(cursor, c.start);
      const v = videoSegment(c, W, H, false);
      const idx = g.inputs.length - 1;
      const a = withAudio ? audioSegment(c, idx) : null;
      segs.push({ v, a, frames: framesOf(c), transition: tr ? { kind: tr.kind, frames: Math.round(tr.duration * fps) } : null });
      cursor = clipEnd(c);
    }
    gap(segs.length ? cursor : 0, T);
    if (segs.length === 0) gap(0, T);
    let v = (segs[0] as Seg).v;
    let a = (segs[0] as Seg).a;
    let len = (segs[0] as Seg).frames;
    for (const s of segs.slice(1)) {
      if (s.transition) {
        const d = s.transition.frames / fps;
        const kind = s.transition.kind;
        v = g.add([v, s.v], [`xfade=transition=${kind}:duration=${n6(d)}:offset=${n6((len - s.transition.frames) / fps)}`], g.fresh("x"));
        if (a && s.a) a = g.add([a, s.a], [`acrossfade=d=${n6(d)}:c1=tri:c2=tri`], g.fresh("xa"));
        len += s.frames - s.transition.frames;
      } else {
        // concat answers in the 1/1000000 time base; xfade wants both inputs in the same one, so go back to 1/fps.
        v = g.add([v, s.v], ["concat=n=2:v=1:a=0", `settb=1/${fps}`], g.fresh("c"));
        if (a && s.a) a = g.add([a, s.a], ["concat=n=2:v=0:a=1"], g.fresh("ca"));
        len += s.frames;
      }
    }
    base = v;
    mainAudio = a;
  }
  if (mainAudio) audioMix.push(mainAudio);

  const placeAudio = (c: Clip, idx: number | null, track: Track): void => {
    if (track.muted || idx === null || !sourceOf(c).hasAudio) return;
    const seg = audioSegment(c, idx);
    const ms = Math.round(c.start * 1000);
    const placed = g.add([seg], [`adelay=delays=${ms}:all=1`, "apad", `atrim=end_sample=${totalSamples}`], g.fresh("p"));
    if (track.kind === "audio" && track.role === "speech") speech.push(placed);
    else if (track.kind === "audio" && track.role === "music" && track.duck) music.push(placed);
    else audioMix.push(placed);
  };

  // ---- overlay tracks (and further video tracks): picture-in-picture or full frame, placed in time ----
  for (const track of doc.tracks) {
    if (track === main || (track.kind !== "video" && track.kind !== "overlay")) continue;
    for (const c of track.clips) {
      const box = c.pip ? { w: Math.round((c.pip.w * W) / 2) * 2, h: Math.round((c.pip.h * H) / 2) * 2 } : { w: W, h: H };
      const seg = videoSegment(c, box.w, box.h, true);
      const idx = g.inputs.length - 1;
      const shifted = g.add([seg], [`setpts=PTS+${n6(c.start)}/TB`], g.fresh("o"));
      const x = c.pip ? Math.round(c.pip.x * W) : 0;
      const y = c.pip ? Math.round(c.pip.y * H) : 0;
      base = g.add([base, shifted], [`overlay=x=${x}:y=${y}:eof_action=pass:enable=${q(`between(t,${n6(c.start)},${n6(clipEnd(c))})`)}`], g.fresh("ov"));
      if (sourceOf(c).kind === "video") placeAudio(c, idx, track);
    }
  }

  // ---- text tracks: drawtext on the composed picture ----
  const textFilters: string[] = [];
  for (const track of doc.tracks) {
    if (track.kind !== "text") continue;
    for (const c of track.clips) {
      if (!c.text) continue;
      const file = path.join(opts.workDir, `text-${files.length}.txt`);
      files.push({ path: file, content: c.text.content });
      textFilters.push(drawtext(c, c.text, file, scale));
    }
  }
  if (textFilters.length) base = g.add([base], textFilters, g.fresh("t"));
  base = g.add([base], ["format=yuv420p", `trim=end_frame=${frames}`], "vout");

  // ---- audio tracks, ducking, mix ----
  for (const track of doc.tracks) {
    if (track.kind !== "audio") continue;
    for (const c of track.clips) placeAudio(c, inputFor(c), track);
  }
  const mix = (labels: string[], name: string): string =>
    labels.length === 1 ? (labels[0] as string) : g.add(labels, [`amix=inputs=${labels.length}:duration=first:normalize=0`], g.fresh(name));
  if (music.length) {
    const m = mix(music, "music");
    if (speech.length) {
      const sp = mix(speech, "speech");
      const spMix = g.fresh("spm");
      const spSc = g.fresh("sps");
      g.add([sp], ["asplit=2"], `${spMix}][${spSc}`);
      audioMix.push(spMix, g.add([m, spSc], ["sidechaincompress=threshold=0.02:ratio=9:attack=20:release=350:makeup=1"], g.fresh("duck")));
    } else audioMix.push(m);
  } else audioMix.push(...speech);
  const silence = g.add([], [`anullsrc=r=${AR}:cl=stereo`, `atrim=end_sample=${totalSamples}`], g.fresh("sil"));
  g.add([silence, ...audioMix], [`amix=inputs=${audioMix.length + 1}:duration=first:normalize=0`, `atrim=end_sample=${totalSamples}`], "aout");

  const graph = g.chains.join(";");
  const args = [
    "-hide_banner",
    "-nostdin",
    "-y",
    "-loglevel",
    "error",
    ...g.inputs.flat(),
    "-filter_complex",
    graph,
    "-map",
    "[vout]",
    "-map",
    "[aout]",
    ...outputOptions(opts.format, opts.quality, fps),
    opts.output,
  ];
  const bin = opts.ffmpegPath ?? "ffmpeg";
  return { args, command: [bin, ...args].map(shellQuote).join(" "), graph, durationS: T, frames, width: W, height: H, files };
}

function drawtext(c: Clip, t: TextLayer, file: string, scale: number): string {
  const s = c.start;
  const e = clipEnd(c);
  const a = Math.min(0.4, (e - s) / 3);
  const inA = Math.max(c.fadeIn, a);
  const outA = Math.max(c.fadeOut, a);
  const alphaIn = t.animIn === "none" ? "1" : `min(1,(t-${n6(s)})/${n6(inA)})`;
  const alphaOut = t.animOut === "none" ? "1" : `min(1,(${n6(e)}-t)/${n6(outA)})`;
  const slide = t.animIn === "slide-up" ? `+max(0,1-(t-${n6(s)})/${n6(inA)})*h*0.08` : "";
  const parts = [
    `fontfile=${q(FONTS[t.font] ?? (FONTS["DejaVu Sans"] as string))}`,
    `textfile=${q(file)}`,
    "expansion=none",
    `fontsize=${Math.max(4, Math.round(t.size * scale))}`,
    `fontcolor=${t.color}`,
    `borderw=${Math.round(t.strokeWidth * scale)}`,
    `bordercolor=${t.strokeColor}`,
    `x=${q(`w*${t.x}-text_w/2`)}`,
    `y=${q(`h*${t.y}-text_h/2${slide}`)}`,
    `alpha=${q(`min(${alphaIn},${alphaOut})`)}`,
    `enable=${q(`between(t,${n6(s)},${n6(e)})`)}`,
  ];
  return `drawtext=${parts.join(":")}`;
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=+,-]+$/.test(s) ? s : `'${s.replaceAll("'", "'\\''")}'`;
}
