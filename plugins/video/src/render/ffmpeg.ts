import { spawn } from "node:child_process";
import type { SourceInfo } from "../compiler/compile.js";

export const FFMPEG = process.env.FFMPEG_PATH || "/usr/bin/ffmpeg";
export const FFPROBE = process.env.FFPROBE_PATH || "/usr/bin/ffprobe";

export class FfmpegError extends Error {
  readonly code = "VIDEO_FFMPEG_FAILED";
  readonly retryable = false;
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

export class CancelledError extends Error {
  readonly code = "VIDEO_CANCELLED";
  readonly retryable = false;
  constructor() {
    super("cancelled");
  }
}

export interface RunOptions {
  /** Length of the output in seconds: progress is `out_time / durationS`. */
  durationS?: number;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
  /** Called with the child's pid once it started (tests, logs). */
  onSpawn?: (pid: number) => void;
}

/**
 * Runs ffmpeg with `-progress pipe:1` and reports real progress from its `out_time_us` lines.
 * Aborting the signal kills the process (SIGKILL) and rejects with `CancelledError` once it has exited.
 */
export function runFfmpeg(args: string[], options: RunOptions = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(new CancelledError());
    const child = spawn(FFMPEG, ["-progress", "pipe:1", "-nostats", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    if (child.pid) options.onSpawn?.(child.pid);
    let stderr = "";
    let pending = "";
    let last = -1;
    const abort = () => child.kill("SIGKILL");
    options.signal?.addEventListener("abort", abort, { once: true });
    child.stderr.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-8000);
    });
    child.stdout.on("data", (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        const [key, value] = line.split("=");
        if (!options.onProgress || !options.durationS) continue;
        let fraction: number | null = null;
        if (key === "out_time_us" || key === "out_time_ms") {
          const us = Number(value);
          if (Number.isFinite(us) && us >= 0) fraction = Math.min(1, us / 1e6 / options.durationS);
        } else if (key === "progress" && value?.trim() === "end") fraction = 1;
        if (fraction !== null && fraction > last) {
          last = fraction;
          options.onProgress(fraction);
        }
      }
    });
    child.on("error", (err) => {
      options.signal?.removeEventListener("abort", abort);
      reject(err);
    });
    child.on("close", (code, sig) => {
      options.signal?.removeEventListener("abort", abort);
      if (options.signal?.aborted) return reject(new CancelledError());
      if (code === 0) return resolve();
      const reason = stderr.trim().split("\n").slice(-3).join(" | ") || `exit ${code ?? sig}`;
      reject(new FfmpegError(`ffmpeg failed: ${reason}`, stderr));
    });
  });
}

/** Decodes an audio stream to mono float32 PCM at `sampleRate`. */
export function decodePcm(file: string, sampleRate: number, signal?: AbortSignal): Promise<Float32Array> {
  return new Promise((resolve, reject) => {
    const child = spawn(FFMPEG, ["-nostdin", "-loglevel", "error", "-i", file, "-vn", "-ac", "1", "-ar", String(sampleRate), "-f", "f32le", "pipe:1"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const chunks: Buffer[] = [];
    let stderr = "";
    const abort = () => child.kill("SIGKILL");
    signal?.addEventListener("abort", abort, { once: true });
    child.stdout.on("data", (d: Buffer) => chunks.push(d));
    child.stderr.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.on("error", reject);
    child.on("close", (code) => {
      signal?.removeEventListener("abort", abort);
      if (signal?.aborted) return reject(new CancelledError());
      if (code !== 0) return reject(new FfmpegError(`could not decode audio: ${stderr.trim() || `exit ${code}`}`, stderr));
      const buf = Buffer.concat(chunks);
      const out = new Float32Array(Math.floor(buf.length / 4));
      for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
      resolve(out);
    });
  });
}

/**
 * Reads every packet of a file without decoding (cheap: I/O only) and fails on the first one the
 * demuxer finds damaged or cut off, e.g. a truncated MP4 whose index still promises the rest.
 * A probe reads only the header, so such a file passes it and would render frozen frames.
 */
export function checkIntegrity(file: string, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError());
    const child = spawn(FFMPEG, ["-nostdin", "-v", "error", "-xerror", "-i", file, "-map", "0:v?", "-map", "0:a?", "-c", "copy", "-f", "null", "-"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    const abort = () => child.kill("SIGKILL");
    signal?.addEventListener("abort", abort, { once: true });
    child.stderr.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.on("error", reject);
    child.on("close", (code) => {
      signal?.removeEventListener("abort", abort);
      if (signal?.aborted) return reject(new CancelledError());
      if (code === 0) return resolve();
      const last =
        stderr
          .trim()
          .split("\n")
          .at(-1)
          ?.replace(file, "")
          .replace(/^[:\s]+/, "") || `exit ${code}`;
      reject(new FfmpegError(last, stderr));
    });
  });
}

/** Probes a file: which streams it has and how long it is. */
export function probe(file: string, kindHint?: SourceInfo["kind"]): Promise<SourceInfo> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      FFPROBE,
      ["-v", "error", "-show_entries", "format=duration:stream=codec_type,duration:stream_disposition=attached_pic", "-of", "json", file],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new FfmpegError(`unreadable media: ${err.trim().slice(0, 300) || `exit ${code}`}`, err));
      try {
        const data = JSON.parse(out) as { format?: { duration?: string }; streams?: { codec_type?: string; disposition?: { attached_pic?: number } }[] };
        const streams = data.streams ?? [];
        const hasVideo = streams.some((s) => s.codec_type === "video" && s.disposition?.attached_pic !== 1);
        const hasAudio = streams.some((s) => s.codec_type === "audio");
        const d = Number(data.format?.duration);
        const kind = kindHint ?? (hasVideo ? "video" : "audio");
        if (!hasVideo && !hasAudio) return reject(new FfmpegError("no audio or video stream", err));
        resolve({ path: file, kind, hasVideo, hasAudio, durationS: kind === "image" ? null : Number.isFinite(d) ? d : null });
      } catch (e) {
        reject(e);
      }
    });
  });
}
