/** The project document: what the timeline is. Times are seconds on the timeline unless named `in`/`out` (source seconds). */

export const ASPECTS = { "9:16": [9, 16], "1:1": [1, 1], "4:5": [4, 5], "16:9": [16, 9] } as const;
export type Aspect = keyof typeof ASPECTS;

export const TRACK_KINDS = ["video", "overlay", "text", "audio"] as const;
export type TrackKind = (typeof TRACK_KINDS)[number];

export const FITS = ["fit", "fill", "blur-fill"] as const;
export type Fit = (typeof FITS)[number];

/** xfade transition names we offer (plus `dissolve`, `zoomin`). */
export const TRANSITIONS = [
  "fade",
  "dissolve",
  "wipeleft",
  "wiperight",
  "wipeup",
  "wipedown",
  "slideleft",
  "slideright",
  "slideup",
  "slidedown",
  "zoomin",
] as const;
export type TransitionKind = (typeof TRANSITIONS)[number];

export const TEXT_ANIMATIONS = ["none", "fade", "slide-up"] as const;
export type TextAnimation = (typeof TEXT_ANIMATIONS)[number];

export const AUDIO_ROLES = ["music", "speech", "sfx"] as const;
export type AudioRole = (typeof AUDIO_ROLES)[number];

export interface KenBurns {
  /** Zoom at the start and the end (1 = the frame filled). */
  from: number;
  to: number;
}

export interface TextLayer {
  content: string;
  font: string;
  size: number;
  color: string;
  strokeColor: string;
  strokeWidth: number;
  /** Position of the text's centre, 0..1 of the frame. */
  x: number;
  y: number;
  animIn: TextAnimation;
  animOut: TextAnimation;
}

/** A picture-in-picture box, 0..1 of the frame. */
export interface PipBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface VolumeKeyframe {
  /** Seconds from the clip's start on the timeline. */
  t: number;
  /** Gain, 0..4. */
  v: number;
}

export interface ClipEffect {
  /** A built-in (`grayscale`, `eq`) or `<pluginId>:<name>` of a `video.effect` contribution. */
  name: string;
  params: Record<string, unknown>;
}

export interface Clip {
  id: string;
  /** The media asset; null for a text clip. */
  assetId: string | null;
  /** Kind of the asset when it was added (images have no in/out of their own). */
  media: "video" | "image" | "audio" | "text";
  /** Where the clip starts on the timeline. */
  start: number;
  /** Source in/out points (for images and text: 0 and the shown duration). */
  in: number;
  out: number;
  speed: number;
  volume: number;
  fadeIn: number;
  fadeOut: number;
  fit: Fit;
  kenBurns: KenBurns | null;
  text: TextLayer | null;
  pip: PipBox | null;
  volumeKeyframes: VolumeKeyframe[];
  effects: ClipEffect[];
  /** Length of the source media in seconds; null for stills and text (any length). */
  sourceDuration: number | null;
}

export interface Transition {
  id: string;
  kind: TransitionKind;
  /** The clip that ends; the next clip on the track starts `duration` before it ends. */
  fromClipId: string;
  toClipId: string;
  duration: number;
}

export interface Track {
  id: string;
  kind: TrackKind;
  name: string;
  muted: boolean;
  locked: boolean;
  /** Audio tracks: music is ducked under speech when `duck` is on. */
  role: AudioRole | null;
  duck: boolean;
  clips: Clip[];
  transitions: Transition[];
}

export interface ProjectDoc {
  name: string;
  fps: number;
  aspect: Aspect;
  width: number;
  height: number;
  background: string;
  tracks: Track[];
}

/** A clip's length on the timeline. */
export const clipDuration = (c: Pick<Clip, "in" | "out" | "speed">): number => (c.out - c.in) / c.speed;
export const clipEnd = (c: Clip): number => c.start + clipDuration(c);

/** Resolution for an aspect at a given short side (even numbers, as encoders want). */
export function resolutionFor(aspect: Aspect, shortSide: number): { width: number; height: number } {
  const [a, b] = ASPECTS[aspect];
  const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);
  return a <= b ? { width: even(shortSide), height: even((shortSide * b) / a) } : { width: even((shortSide * a) / b), height: even(shortSide) };
}

/** The timeline's length: the latest clip end over all tracks. */
export function projectDuration(doc: ProjectDoc): number {
  let end = 0;
  for (const t of doc.tracks) for (const c of t.clips) end = Math.max(end, clipEnd(c));
  return end;
}
