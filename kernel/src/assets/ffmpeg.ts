import ffmpeg from "fluent-ffmpeg";

// Debian's ffmpeg (5.x, with xfade); FFMPEG_PATH / FFPROBE_PATH override it.
ffmpeg.setFfmpegPath(process.env.FFMPEG_PATH || "/usr/bin/ffmpeg");
ffmpeg.setFfprobePath(process.env.FFPROBE_PATH || "/usr/bin/ffprobe");

export { ffmpeg };

export interface AvProbe {
  durationMs: number | null;
  container: string | null;
  video: { codec: string; width: number; height: number; fps: number | null; rotation: number } | null;
  audio: { codec: string; sampleRate: number | null; channels: number | null } | null;
}

function parseRate(rate: string | undefined): number | null {
  if (!rate) return null;
  const [n, d] = rate.split("/").map(Number);
  if (!n || !d) return null;
  return Math.round((n / d) * 1000) / 1000;
}

/** Reads duration, codecs, fps and rotation with ffprobe. */
export function probeAv(file: string): Promise<AvProbe> {
  return new Promise((resolve, reject) => {
    ffmpeg.ffprobe(file, (err, data) => {
      if (err) return reject(err);
      const v = data.streams.find((s) => s.codec_type === "video" && s.disposition?.attached_pic !== 1);
      const a = data.streams.find((s) => s.codec_type === "audio");
      const sideRotation = (v?.side_data_list as { rotation?: number }[] | undefined)?.find((s) => typeof s.rotation === "number")?.rotation;
      const tagRotation = Number((v?.tags as Record<string, string> | undefined)?.rotate ?? 0);
      const duration = Number(data.format.duration);
      resolve({
        durationMs: Number.isFinite(duration) ? Math.round(duration * 1000) : null,
        container: data.format.format_name ?? null,
        video: v
          ? {
              codec: v.codec_name ?? "unknown",
              width: v.width ?? 0,
              height: v.height ?? 0,
              fps: parseRate(v.avg_frame_rate) ?? parseRate(v.r_frame_rate),
              rotation: ((((sideRotation ?? tagRotation) % 360) + 360) % 360) as number,
            }
          : null,
        audio: a ? { codec: a.codec_name ?? "unknown", sampleRate: a.sample_rate ? Number(a.sample_rate) : null, channels: a.channels ?? null } : null,
      });
    });
  });
}

/** Runs one ffmpeg command to completion, reporting progress as a fraction of `durationMs`. */
export function runFfmpeg(
  command: ffmpeg.FfmpegCommand,
  options: { durationMs?: number | null; signal?: AbortSignal; onProgress?: (fraction: number) => void },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const abort = () => command.kill("SIGKILL");
    options.signal?.addEventListener("abort", abort, { once: true });
    command
      .on("progress", (p: { timemark?: string }) => {
        if (!options.durationMs || !p.timemark || !options.onProgress) return;
        const [h, m, s] = p.timemark.split(":").map(Number);
        const ms = ((h ?? 0) * 3600 + (m ?? 0) * 60 + (s ?? 0)) * 1000;
        options.onProgress(Math.min(1, ms / options.durationMs));
      })
      .on("error", (err: Error) => {
        options.signal?.removeEventListener("abort", abort);
        reject(options.signal?.aborted ? new Error("cancelled") : err);
      })
      .on("end", () => {
        options.signal?.removeEventListener("abort", abort);
        resolve();
      })
      .run();
  });
}
