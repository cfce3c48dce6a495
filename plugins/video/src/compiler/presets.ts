export const RENDER_FORMATS = ["mp4", "webm"] as const;
export type RenderFormat = (typeof RENDER_FORMATS)[number];
export const RENDER_QUALITIES = ["draft", "standard", "high"] as const;
export type RenderQuality = (typeof RENDER_QUALITIES)[number];

const X264: Record<RenderQuality, { preset: string; crf: number; audio: string }> = {
  draft: { preset: "ultrafast", crf: 30, audio: "96k" },
  standard: { preset: "veryfast", crf: 23, audio: "128k" },
  high: { preset: "slow", crf: 18, audio: "192k" },
};

const VP9: Record<RenderQuality, { crf: number; deadline: string; cpuUsed: number; audio: string }> = {
  draft: { crf: 42, deadline: "realtime", cpuUsed: 8, audio: "64k" },
  standard: { crf: 33, deadline: "good", cpuUsed: 4, audio: "96k" },
  high: { crf: 24, deadline: "good", cpuUsed: 1, audio: "160k" },
};

/** Encoder options: H.264/AAC in MP4 or VP9/Opus in WebM, by quality preset. */
export function outputOptions(format: RenderFormat, quality: RenderQuality, fps: number): string[] {
  if (format === "mp4") {
    const p = X264[quality];
    return [
      "-c:v",
      "libx264",
      "-preset",
      p.preset,
      "-crf",
      String(p.crf),
      "-pix_fmt",
      "yuv420p",
      "-r",
      String(fps),
      "-c:a",
      "aac",
      "-b:a",
      p.audio,
      "-movflags",
      "+faststart",
    ];
  }
  const p = VP9[quality];
  return [
    "-c:v",
    "libvpx-vp9",
    "-b:v",
    "0",
    "-crf",
    String(p.crf),
    "-deadline",
    p.deadline,
    "-cpu-used",
    String(p.cpuUsed),
    "-row-mt",
    "1",
    "-pix_fmt",
    "yuv420p",
    "-r",
    String(fps),
    "-c:a",
    "libopus",
    "-b:a",
    p.audio,
  ];
}
