import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const ff = (args: string[]) => run("/usr/bin/ffmpeg", ["-y", "-loglevel", "error", ...args]);

/** A tiny H.264/AAC clip: testsrc2 picture and a sine tone, `seconds` long. */
export async function makeClip(
  dir: string,
  name: string,
  seconds = 2,
  opts: { size?: string; freq?: number; fps?: number; audio?: boolean; faststart?: boolean } = {},
): Promise<string> {
  const file = path.join(dir, name);
  if (existsSync(file)) return file;
  const size = opts.size ?? "160x90";
  await ff([
    "-f",
    "lavfi",
    "-i",
    `testsrc2=size=${size}:rate=${opts.fps ?? 25}:duration=${seconds}`,
    ...(opts.audio === false ? [] : ["-f", "lavfi", "-i", `sine=frequency=${opts.freq ?? 440}:duration=${seconds}`]),
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-g",
    "10",
    "-pix_fmt",
    "yuv420p",
    ...(opts.audio === false ? [] : ["-c:a", "aac"]),
    ...(opts.faststart ? ["-movflags", "+faststart"] : []),
    "-shortest",
    file,
  ]);
  return file;
}

/** A still PNG. */
export async function makeImage(dir: string, name: string, size = "320x240"): Promise<string> {
  const file = path.join(dir, name);
  await ff(["-f", "lavfi", "-i", `testsrc2=size=${size}:rate=1:duration=1`, "-frames:v", "1", file]);
  return file;
}

/** A WAV of silence with a 1 kHz beep (30 ms) at `at` seconds. */
export async function makeBeep(dir: string, name: string, seconds: number, at: number): Promise<string> {
  const file = path.join(dir, name);
  await ff(["-f", "lavfi", "-i", `aevalsrc='if(between(t,${at},${at + 0.03}),0.8*sin(2*PI*1000*t),0)':s=48000:d=${seconds}`, "-ac", "2", file]);
  return file;
}

/**
 * A clip whose picture and sound mark the same instant: black with one white frame at `at`
 * seconds, silent but for a 1 kHz beep (30 ms) starting at `at`. With `at` null: black and
 * silent (a real, silent audio stream, so transitions cross-fade it).
 */
export async function makeSyncClip(dir: string, name: string, seconds: number, at: number | null, fps = 25): Promise<string> {
  const file = path.join(dir, name);
  const flash = at === null ? "" : `,drawbox=c=white:t=fill:enable='between(n,${Math.round(at * fps)},${Math.round(at * fps)})'`;
  const tone = at === null ? "0" : `if(between(t,${at},${at + 0.03}),0.8*sin(2*PI*1000*(t-${at})),0)`;
  await ff([
    "-f",
    "lavfi",
    "-i",
    `color=c=black:s=160x90:r=${fps}:d=${seconds}${flash}`,
    "-f",
    "lavfi",
    "-i",
    `aevalsrc='${tone}':s=48000:d=${seconds}`,
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-g",
    "10",
    "-pix_fmt",
    "yuv420p",
    "-c:a",
    "aac",
    "-shortest",
    file,
  ]);
  return file;
}

/** Mean luma of every frame of a file's picture, in order. */
export async function frameLuma(file: string): Promise<number[]> {
  const { stdout } = await run("/usr/bin/ffmpeg", ["-loglevel", "error", "-i", file, "-vf", "scale=1:1:flags=area,format=gray", "-f", "rawvideo", "pipe:1"], {
    encoding: "buffer",
    maxBuffer: 1 << 24,
  });
  return [...(stdout as Buffer)];
}

/** Onsets: the times (s) where the signal first passes `threshold` after at least `gap` seconds below it. */
export function onsets(samples: Float32Array, rate: number, threshold = 0.2, gap = 0.2): number[] {
  const out: number[] = [];
  let last = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < samples.length; i++) {
    if (Math.abs(samples[i] as number) < threshold) continue;
    const t = i / rate;
    if (t - last > gap) out.push(t);
    last = t;
  }
  return out;
}

/** A click track: a 10 ms click every 60/bpm seconds, first click at `offset`. */
export async function makeClickTrack(dir: string, name: string, bpm: number, seconds: number, offset = 0.25): Promise<string> {
  const file = path.join(dir, name);
  const period = 60 / bpm;
  await ff([
    "-f",
    "lavfi",
    "-i",
    `aevalsrc='if(lt(mod(t-${offset}+${period * 100},${period}),0.01)*gte(t,${offset}),0.9*sin(2*PI*1500*t),0)+0.01*sin(2*PI*110*t)':s=44100:d=${seconds}`,
    file,
  ]);
  return file;
}

export interface Probed {
  durationS: number;
  video: { width: number; height: number; frames: number; codec: string; durationS: number } | null;
  audio: { codec: string; durationS: number } | null;
}

export async function ffprobe(file: string): Promise<Probed> {
  const { stdout } = await run("/usr/bin/ffprobe", [
    "-v",
    "error",
    "-count_packets",
    "-show_entries",
    "format=duration:stream=codec_type,codec_name,width,height,nb_read_packets,duration",
    "-of",
    "json",
    file,
  ]);
  const data = JSON.parse(stdout) as { format: { duration: string }; streams: Record<string, string | number>[] };
  const v = data.streams.find((s) => s.codec_type === "video");
  const a = data.streams.find((s) => s.codec_type === "audio");
  return {
    durationS: Number(data.format.duration),
    video: v
      ? { width: Number(v.width), height: Number(v.height), frames: Number(v.nb_read_packets), codec: String(v.codec_name), durationS: Number(v.duration) }
      : null,
    audio: a ? { codec: String(a.codec_name), durationS: Number(a.duration) } : null,
  };
}

/** Mono PCM of a file's audio at `rate`. */
export async function pcm(file: string, rate = 8000): Promise<Float32Array> {
  const { stdout } = await run("/usr/bin/ffmpeg", ["-loglevel", "error", "-i", file, "-ac", "1", "-ar", String(rate), "-f", "f32le", "pipe:1"], {
    encoding: "buffer",
    maxBuffer: 1 << 28,
  });
  const buf = stdout as Buffer;
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
}

/** Mean RGB of a w×h region of the frame at `t` seconds. */
export async function meanAt(file: string, t: number, x: number, y: number, w: number, h: number): Promise<[number, number, number]> {
  const { stdout } = await run(
    "/usr/bin/ffmpeg",
    [
      "-loglevel",
      "error",
      "-ss",
      String(t),
      "-i",
      file,
      "-frames:v",
      "1",
      "-vf",
      `crop=${w}:${h}:${x}:${y},scale=1:1:flags=area`,
      "-f",
      "rawvideo",
      "-pix_fmt",
      "rgb24",
      "pipe:1",
    ],
    { encoding: "buffer" },
  );
  const b = stdout as Buffer;
  return [b[0] ?? 0, b[1] ?? 0, b[2] ?? 0];
}
