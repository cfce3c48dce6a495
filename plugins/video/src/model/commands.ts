import { randomUUID } from "node:crypto";
import { videoError } from "../errors.js";
import {
  AUDIO_ROLES,
  type AudioRole,
  type Clip,
  type ClipEffect,
  clipDuration,
  clipEnd,
  FITS,
  type Fit,
  type KenBurns,
  type PipBox,
  type ProjectDoc,
  TEXT_ANIMATIONS,
  type TextLayer,
  TRACK_KINDS,
  TRANSITIONS,
  type Track,
  type TrackKind,
  type TransitionKind,
  type VolumeKeyframe,
} from "./types.js";

/** What the service learnt about an asset a command refers to. */
export interface MediaFacts {
  kind: "video" | "image" | "audio";
  status: "processing" | "ready" | "failed";
  durationS: number | null;
}

export type MediaLookup = ReadonlyMap<string, MediaFacts | null>;

export type Command = { type: string } & Record<string, unknown>;

export const COMMAND_TYPES = [
  "setProject",
  "addTrack",
  "removeTrack",
  "reorderTrack",
  "setTrack",
  "addClip",
  "updateClip",
  "moveClip",
  "trimClip",
  "splitClip",
  "deleteClip",
  "rippleDelete",
  "duplicateClip",
  "addTransition",
  "removeTransition",
  "snapToBeats",
] as const;

const EPS = 1e-4;
const r6 = (x: number) => Math.round(x * 1e6) / 1e6;
const newId = () => randomUUID();

// ---- input readers: every field is checked, with the field's name in the error ----

function bad(message: string, details?: unknown): never {
  throw videoError("VIDEO_INVALID_COMMAND", message, details);
}

function num(o: Record<string, unknown>, key: string, opts: { min?: number; max?: number; def?: number } = {}): number {
  const v = o[key];
  if (v === undefined && opts.def !== undefined) return opts.def;
  if (typeof v !== "number" || !Number.isFinite(v)) bad(`${key} must be a number`);
  if (opts.min !== undefined && v < opts.min) bad(`${key} must be ≥ ${opts.min}`);
  if (opts.max !== undefined && v > opts.max) bad(`${key} must be ≤ ${opts.max}`);
  return v;
}

function str(o: Record<string, unknown>, key: string, opts: { max?: number; def?: string } = {}): string {
  const v = o[key];
  if (v === undefined && opts.def !== undefined) return opts.def;
  if (typeof v !== "string" || v.length === 0) bad(`${key} must be a non-empty string`);
  if (v.length > (opts.max ?? 200)) bad(`${key} is too long`);
  return v;
}

function oneOf<T extends string>(o: Record<string, unknown>, key: string, values: readonly T[], def?: T): T {
  const v = o[key] ?? def;
  if (typeof v !== "string" || !values.includes(v as T)) bad(`${key} must be one of ${values.join(", ")}`);
  return v as T;
}

function bool(o: Record<string, unknown>, key: string): boolean | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== "boolean") bad(`${key} must be a boolean`);
  return v;
}

function obj(v: unknown, key: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) bad(`${key} must be an object`);
  return v as Record<string, unknown>;
}

const COLOR = /^(#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?|[a-z]{3,20})$/;
function color(o: Record<string, unknown>, key: string, def: string): string {
  const v = str(o, key, { def, max: 20 });
  if (!COLOR.test(v)) bad(`${key} must be #rrggbb, #rrggbbaa or a colour name`);
  return v;
}

export const FONTS: Record<string, string> = {
  "DejaVu Sans": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
  "DejaVu Sans Bold": "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
  "DejaVu Serif": "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
  "DejaVu Sans Mono": "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
  "Liberation Sans": "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
};

function readText(v: unknown, prev?: TextLayer): TextLayer {
  const o = { ...(prev ?? {}), ...obj(v, "text") } as Record<string, unknown>;
  const font = str(o, "font", { def: "DejaVu Sans" });
  if (!FONTS[font]) bad(`font must be one of ${Object.keys(FONTS).join(", ")}`);
  return {
    content: str(o, "content", { max: 500 }),
    font,
    size: num(o, "size", { min: 4, max: 400, def: 48 }),
    color: color(o, "color", "white"),
    strokeColor: color(o, "strokeColor", "black"),
    strokeWidth: num(o, "strokeWidth", { min: 0, max: 20, def: 2 }),
    x: num(o, "x", { min: 0, max: 1, def: 0.5 }),
    y: num(o, "y", { min: 0, max: 1, def: 0.5 }),
    animIn: oneOf(o, "animIn", TEXT_ANIMATIONS, "none"),
    animOut: oneOf(o, "animOut", TEXT_ANIMATIONS, "none"),
  };
}

function readKenBurns(v: unknown): KenBurns | null {
  if (v === null) return null;
  const o = obj(v, "kenBurns");
  return { from: num(o, "from", { min: 1, max: 4, def: 1 }), to: num(o, "to", { min: 1, max: 4, def: 1.3 }) };
}

function readPip(v: unknown): PipBox | null {
  if (v === null) return null;
  const o = obj(v, "pip");
  const box = {
    x: num(o, "x", { min: 0, max: 1 }),
    y: num(o, "y", { min: 0, max: 1 }),
    w: num(o, "w", { min: 0.05, max: 1 }),
    h: num(o, "h", { min: 0.05, max: 1 }),
  };
  if (box.x + box.w > 1 + EPS || box.y + box.h > 1 + EPS) bad("pip must lie inside the frame");
  return box;
}

function readKeyframes(v: unknown): VolumeKeyframe[] {
  if (!Array.isArray(v) || v.length > 100) bad("volumeKeyframes must be an array of at most 100 { t, v }");
  const out = v.map((k, i) => {
    const o = obj(k, `volumeKeyframes[${i}]`);
    return { t: num(o, "t", { min: 0 }), v: num(o, "v", { min: 0, max: 4 }) };
  });
  for (let i = 1; i < out.length; i++) if ((out[i] as VolumeKeyframe).t <= (out[i - 1] as VolumeKeyframe).t) bad("volumeKeyframes must be in increasing t");
  return out;
}

function readEffects(v: unknown): ClipEffect[] {
  if (!Array.isArray(v) || v.length > 10) bad("effects must be an array of at most 10 { name, params }");
  return v.map((e, i) => {
    const o = obj(e, `effects[${i}]`);
    const name = str(o, "name", { max: 80 });
    if (!/^([a-z][a-z0-9-]*:)?[a-z][a-z0-9-]*$/.test(name)) bad(`effects[${i}].name must be a built-in or <plugin>:<effect>`);
    return { name, params: o.params === undefined ? {} : obj(o.params, `effects[${i}].params`) };
  });
}

// ---- document lookups ----

function findTrack(doc: ProjectDoc, trackId: unknown): Track {
  const t = doc.tracks.find((x) => x.id === trackId);
  if (!t) throw videoError("VIDEO_TRACK_NOT_FOUND", `no track ${String(trackId)}`);
  return t;
}

function findClip(doc: ProjectDoc, clipId: unknown): { track: Track; clip: Clip; index: number } {
  for (const track of doc.tracks) {
    const index = track.clips.findIndex((c) => c.id === clipId);
    if (index >= 0) return { track, clip: track.clips[index] as Clip, index };
  }
  throw videoError("VIDEO_CLIP_NOT_FOUND", `no clip ${String(clipId)}`);
}

function unlocked(track: Track): Track {
  if (track.locked) throw videoError("VIDEO_TRACK_LOCKED", `track ${track.name} is locked`);
  return track;
}

/** Which media each kind of track takes. */
function checkPlacement(track: Track, media: Clip["media"]): void {
  const ok: Record<TrackKind, Clip["media"][]> = {
    video: ["video", "image"],
    overlay: ["video", "image"],
    text: ["text"],
    audio: ["audio", "video"],
  };
  if (!ok[track.kind].includes(media)) throw videoError("VIDEO_ASSET_KIND", `a ${media} clip cannot go on a ${track.kind} track`);
}

function checkSource(c: Clip, sourceDuration: number | null, frame: number): void {
  if (c.in < 0) throw videoError("VIDEO_OUT_OF_RANGE", "in point before the start of the source");
  if (c.out - c.in < frame - EPS) throw videoError("VIDEO_OUT_OF_RANGE", "a clip must be at least one frame long");
  if (sourceDuration !== null && c.out > sourceDuration + EPS)
    throw videoError("VIDEO_OUT_OF_RANGE", `out point ${c.out}s is past the end of the source (${sourceDuration}s)`);
}

/** Shifts every clip of the track that starts at or after `from` by `delta` seconds. */
function shiftAfter(track: Track, from: number, delta: number, except?: string): void {
  for (const c of track.clips) if (c.id !== except && c.start >= from - EPS) c.start = r6(c.start + delta);
}

function sortClips(track: Track): void {
  track.clips.sort((a, b) => a.start - b.start);
}

function dropTransitionsOf(track: Track, clipId: string): number {
  const removed = track.transitions.filter((t) => t.fromClipId === clipId || t.toClipId === clipId);
  track.transitions = track.transitions.filter((t) => !removed.includes(t));
  return removed.length;
}

/**
 * Checks the invariants every command must keep: clips on a track do not overlap except where a
 * transition joins two neighbours by exactly its duration; no clip starts before 0.
 */
export function checkDoc(doc: ProjectDoc): void {
  for (const track of doc.tracks) {
    sortClips(track);
    for (const c of track.clips) if (c.start < -EPS) throw videoError("VIDEO_OUT_OF_RANGE", "a clip cannot start before 0");
    for (let i = 1; i < track.clips.length; i++) {
      const a = track.clips[i - 1] as Clip;
      const b = track.clips[i] as Clip;
      const tr = track.transitions.find((t) => t.fromClipId === a.id && t.toClipId === b.id);
      const overlap = clipEnd(a) - b.start;
      if (tr ? Math.abs(overlap - tr.duration) > 1e-3 : overlap > 1e-3)
        throw videoError("VIDEO_OVERLAP", `clips overlap on track ${track.name} at ${r6(b.start)}s`, { clips: [a.id, b.id] });
    }
    for (const t of track.transitions) {
      const ia = track.clips.findIndex((c) => c.id === t.fromClipId);
      const ib = track.clips.findIndex((c) => c.id === t.toClipId);
      if (ia < 0 || ib !== ia + 1) throw videoError("VIDEO_INVALID_COMMAND", "a transition must join two neighbouring clips");
    }
  }
}

function buildClip(track: Track, o: Record<string, unknown>, media: MediaLookup, doc: ProjectDoc): Clip {
  const frame = 1 / doc.fps;
  let kind: Clip["media"];
  let sourceDuration: number | null = null;
  const assetId = o.assetId === undefined || o.assetId === null ? null : str(o, "assetId", { max: 64 });
  if (assetId) {
    const facts = media.get(assetId);
    if (!facts) throw videoError("VIDEO_ASSET_NOT_FOUND", `no asset ${assetId}`);
    if (facts.status === "failed") throw videoError("VIDEO_ASSET_NOT_READY", `asset ${assetId} failed to process`);
    kind = facts.kind;
    sourceDuration = facts.kind === "image" ? null : facts.durationS;
  } else {
    if (o.text === undefined) bad("a clip needs an assetId or a text");
    kind = "text";
  }
  checkPlacement(track, kind);
  const still = kind === "image" || kind === "text";
  const last = track.clips.reduce((m, c) => Math.max(m, clipEnd(c)), 0);
  const inPoint = still ? 0 : num(o, "in", { min: 0, def: 0 });
  const out = still ? num(o, "duration", { min: frame, max: 3600, def: 3 }) : num(o, "out", { min: 0, def: sourceDuration ?? bad("out is required") });
  const clip: Clip = {
    id: newId(),
    assetId,
    media: kind,
    start: num(o, "start", { min: 0, def: last }),
    in: inPoint,
    out,
    speed: still ? 1 : num(o, "speed", { min: 0.25, max: 4, def: 1 }),
    volume: num(o, "volume", { min: 0, max: 4, def: 1 }),
    fadeIn: num(o, "fadeIn", { min: 0, max: 60, def: 0 }),
    fadeOut: num(o, "fadeOut", { min: 0, max: 60, def: 0 }),
    fit: oneOf<Fit>(o, "fit", FITS, "fit"),
    kenBurns: o.kenBurns === undefined ? null : readKenBurns(o.kenBurns),
    text: o.text === undefined ? null : readText(o.text),
    pip: o.pip === undefined ? null : readPip(o.pip),
    volumeKeyframes: o.volumeKeyframes === undefined ? [] : readKeyframes(o.volumeKeyframes),
    effects: o.effects === undefined ? [] : readEffects(o.effects),
    sourceDuration,
  };
  if (clip.kenBurns && kind !== "image") bad("Ken Burns applies to stills only");
  checkSource(clip, sourceDuration, frame);
  if (clip.fadeIn + clip.fadeOut > clipDuration(clip) + EPS) bad("fades are longer than the clip");
  return clip;
}

/** The asset ids a command refers to (the service looks them up before applying it). */
export function assetIdsOf(cmd: Command): string[] {
  return cmd.type === "addClip" && typeof cmd.assetId === "string" ? [cmd.assetId] : [];
}

/**
 * Applies one command to a copy of the document and returns the copy; throws a coded error and
 * leaves the input untouched when the command is invalid.
 */
export function applyCommand(input: ProjectDoc, cmd: Command, media: MediaLookup = new Map()): ProjectDoc {
  const doc: ProjectDoc = structuredClone(input);
  const frame = 1 / doc.fps;
  const o = cmd as Record<string, unknown>;
  switch (cmd.type) {
    case "setProject": {
      if (o.name !== undefined) doc.name = str(o, "name");
      if (o.background !== undefined) doc.background = color(o, "background", "black");
      break;
    }
    case "addTrack": {
      const kind = oneOf<TrackKind>(o, "kind", TRACK_KINDS);
      const track: Track = {
        id: newId(),
        kind,
        name: str(o, "name", { def: `${kind} ${doc.tracks.filter((t) => t.kind === kind).length + 1}` }),
        muted: false,
        locked: false,
        role: kind === "audio" ? oneOf<AudioRole>(o, "role", AUDIO_ROLES, "music") : null,
        duck: bool(o, "duck") ?? false,
        clips: [],
        transitions: [],
      };
      const index = num(o, "index", { min: 0, max: doc.tracks.length, def: doc.tracks.length });
      doc.tracks.splice(Math.round(index), 0, track);
      break;
    }
    case "removeTrack": {
      const track = unlocked(findTrack(doc, o.trackId));
      doc.tracks = doc.tracks.filter((t) => t !== track);
      break;
    }
    case "reorderTrack": {
      const track = findTrack(doc, o.trackId);
      const index = Math.round(num(o, "index", { min: 0, max: doc.tracks.length - 1 }));
      doc.tracks = doc.tracks.filter((t) => t !== track);
      doc.tracks.splice(index, 0, track);
      break;
    }
    case "setTrack": {
      const track = findTrack(doc, o.trackId);
      const muted = bool(o, "muted");
      const locked = bool(o, "locked");
      const duck = bool(o, "duck");
      if (muted !== undefined) track.muted = muted;
      if (locked !== undefined) track.locked = locked;
      if (duck !== undefined) track.duck = duck;
      if (o.name !== undefined) track.name = str(o, "name");
      if (o.role !== undefined) {
        if (track.kind !== "audio") bad("only audio tracks have a role");
        track.role = oneOf<AudioRole>(o, "role", AUDIO_ROLES);
      }
      break;
    }
    case "addClip": {
      const track = unlocked(findTrack(doc, o.trackId));
      track.clips.push(buildClip(track, o, media, doc));
      break;
    }
    case "updateClip": {
      const { track, clip } = findClip(doc, o.clipId);
      unlocked(track);
      const p = obj(o.patch, "patch");
      const allowed = ["speed", "volume", "fadeIn", "fadeOut", "fit", "kenBurns", "text", "pip", "volumeKeyframes", "effects"];
      for (const k of Object.keys(p)) if (!allowed.includes(k)) bad(`patch.${k} cannot be changed here`);
      if (p.speed !== undefined) {
        if (clip.media === "image" || clip.media === "text") bad("stills have no speed");
        const speed = num(p, "speed", { min: 0.25, max: 4 });
        const before = clipDuration(clip);
        clip.speed = speed;
        shiftAfter(track, clip.start + before - EPS, clipDuration(clip) - before, clip.id);
      }
      if (p.volume !== undefined) clip.volume = num(p, "volume", { min: 0, max: 4 });
      if (p.fadeIn !== undefined) clip.fadeIn = num(p, "fadeIn", { min: 0, max: 60 });
      if (p.fadeOut !== undefined) clip.fadeOut = num(p, "fadeOut", { min: 0, max: 60 });
      if (p.fit !== undefined) clip.fit = oneOf<Fit>(p, "fit", FITS);
      if (p.kenBurns !== undefined) {
        if (clip.media !== "image") bad("Ken Burns applies to stills only");
        clip.kenBurns = readKenBurns(p.kenBurns);
      }
      if (p.text !== undefined) {
        if (clip.media !== "text") bad("only text clips have text");
        clip.text = readText(p.text, clip.text ?? undefined);
      }
      if (p.pip !== undefined) clip.pip = readPip(p.pip);
      if (p.volumeKeyframes !== undefined) clip.volumeKeyframes = readKeyframes(p.volumeKeyframes);
      if (p.effects !== undefined) clip.effects = readEffects(p.effects);
      if (clip.fadeIn + clip.fadeOut > clipDuration(clip) + EPS) bad("fades are longer than the clip");
      break;
    }
    case "moveClip": {
      const { track, clip, index } = findClip(doc, o.clipId);
      unlocked(track);
      dropTransitionsOf(track, clip.id);
      clip.start = r6(num(o, "start", { min: 0 }));
      if (o.trackId !== undefined && o.trackId !== track.id) {
        const to = unlocked(findTrack(doc, o.trackId));
        checkPlacement(to, clip.media);
        track.clips.splice(index, 1);
        to.clips.push(clip);
      }
      break;
    }
    case "trimClip": {
      const { track, clip } = findClip(doc, o.clipId);
      unlocked(track);
      const still = clip.media === "image" || clip.media === "text";
      const ripple = bool(o, "ripple") ?? false;
      const oldEnd = clipEnd(clip);
      if (o.start !== undefined) {
        // A left-edge trim given as where the head goes on the timeline: the end stays put, the
        // source's in point (a still's duration) takes up the difference. Works for every medium.
        if (o.in !== undefined || ripple) bad("start moves the head with the end fixed: send it without in or ripple");
        const start = r6(num(o, "start", { min: 0 }));
        const delta = start - clip.start;
        if (still) clip.out = r6(clip.out - delta);
        else clip.in = r6(clip.in + delta * clip.speed);
        clip.start = start;
        dropTransitionsOf(track, clip.id);
      }
      if (o.in !== undefined) {
        if (still) bad("stills are trimmed with out (their duration)");
        const newIn = num(o, "in", { min: 0 });
        // Trimming the head keeps the clip's end where it was unless rippling.
        if (!ripple) clip.start = r6(clip.start + (newIn - clip.in) / clip.speed);
        clip.in = newIn;
        dropTransitionsOf(track, clip.id);
      }
      if (o.out !== undefined) clip.out = num(o, "out", { min: 0 });
      checkSource(clip, clip.sourceDuration, frame);
      if (clip.start < -EPS) throw videoError("VIDEO_OUT_OF_RANGE", "trimming would move the clip before 0");
      if (clip.fadeIn + clip.fadeOut > clipDuration(clip) + EPS) bad("fades are longer than the clip");
      if (ripple) shiftAfter(track, oldEnd - 1e-3, clipEnd(clip) - oldEnd, clip.id);
      break;
    }
    case "splitClip": {
      const { track, clip, index } = findClip(doc, o.clipId);
      unlocked(track);
      const at = num(o, "at");
      const local = at - clip.start;
      if (local < frame - EPS || clipEnd(clip) - at < frame - EPS)
        throw videoError("VIDEO_OUT_OF_RANGE", "split point must be at least one frame inside the clip");
      const cut = r6(clip.in + local * clip.speed);
      const second: Clip = structuredClone(clip);
      second.id = newId();
      second.start = r6(at);
      second.in = clip.media === "image" || clip.media === "text" ? 0 : cut;
      if (second.media === "image" || second.media === "text") second.out = r6(clip.out - local);
      clip.out = clip.media === "image" || clip.media === "text" ? r6(local) : cut;
      clip.fadeOut = 0;
      second.fadeIn = 0;
      clip.volumeKeyframes = clip.volumeKeyframes.filter((k) => k.t < local);
      second.volumeKeyframes = second.volumeKeyframes.filter((k) => k.t >= local).map((k) => ({ t: r6(k.t - local), v: k.v }));
      if (clip.kenBurns && second.kenBurns) {
        const total = clipDuration(clip) + clipDuration(second);
        const mid = clip.kenBurns.from + ((clip.kenBurns.to - clip.kenBurns.from) * local) / total;
        second.kenBurns = { from: mid, to: clip.kenBurns.to };
        clip.kenBurns = { from: clip.kenBurns.from, to: mid };
      }
      for (const t of track.transitions) if (t.fromClipId === clip.id) t.fromClipId = second.id;
      track.clips.splice(index + 1, 0, second);
      break;
    }
    case "deleteClip": {
      const { track, clip, index } = findClip(doc, o.clipId);
      unlocked(track);
      dropTransitionsOf(track, clip.id);
      track.clips.splice(index, 1);
      break;
    }
    case "rippleDelete": {
      const { track, clip, index } = findClip(doc, o.clipId);
      unlocked(track);
      const overlapBefore = track.transitions.find((t) => t.toClipId === clip.id)?.duration ?? 0;
      const overlapAfter = track.transitions.find((t) => t.fromClipId === clip.id)?.duration ?? 0;
      dropTransitionsOf(track, clip.id);
      track.clips.splice(index, 1);
      const gap = clipDuration(clip) - overlapBefore - overlapAfter;
      shiftAfter(track, clipEnd(clip) - overlapAfter - 1e-3, -gap);
      // The next clip now starts where the deleted one started (less the overlap it had).
      break;
    }
    case "duplicateClip": {
      const { track, clip, index } = findClip(doc, o.clipId);
      unlocked(track);
      const copy: Clip = { ...structuredClone(clip), id: newId(), start: r6(clipEnd(clip)) };
      const out = track.transitions.find((t) => t.fromClipId === clip.id);
      shiftAfter(track, clipEnd(clip) - (out?.duration ?? 0) - 1e-3, clipDuration(copy));
      if (out) out.fromClipId = copy.id;
      track.clips.splice(index + 1, 0, copy);
      break;
    }
    case "addTransition": {
      const { track, clip, index } = findClip(doc, o.fromClipId);
      unlocked(track);
      if (track.kind !== "video") bad("transitions join clips of a video track");
      const next = track.clips[index + 1];
      if (!next) bad("a transition needs a clip after this one");
      if (Math.abs(next.start - clipEnd(clip)) > 1e-3) bad("a transition joins clips that touch (no gap)");
      if (track.transitions.some((t) => t.fromClipId === clip.id || t.toClipId === next.id)) bad("these clips are already joined by a transition");
      const kind = oneOf<TransitionKind>(o, "kind", TRANSITIONS);
      const duration = Math.round(num(o, "duration", { min: frame, max: 5, def: 0.5 }) * doc.fps) / doc.fps;
      const inOut = track.transitions.find((t) => t.toClipId === clip.id)?.duration ?? 0;
      if (duration > clipDuration(clip) - inOut - EPS || duration > clipDuration(next) - EPS)
        throw videoError("VIDEO_OUT_OF_RANGE", "the transition is longer than the clips it joins");
      shiftAfter(track, next.start - 1e-3, -duration);
      track.transitions.push({ id: newId(), kind, fromClipId: clip.id, toClipId: next.id, duration });
      break;
    }
    case "removeTransition": {
      const track = doc.tracks.find((t) => t.transitions.some((x) => x.id === o.transitionId));
      const tr = track?.transitions.find((x) => x.id === o.transitionId);
      if (!track || !tr) throw videoError("VIDEO_CLIP_NOT_FOUND", `no transition ${String(o.transitionId)}`);
      unlocked(track);
      const to = track.clips.find((c) => c.id === tr.toClipId) as Clip;
      track.transitions = track.transitions.filter((x) => x !== tr);
      shiftAfter(track, to.start - 1e-3, tr.duration);
      break;
    }
    case "snapToBeats": {
      const track = unlocked(findTrack(doc, o.trackId));
      if (!Array.isArray(o.beats) || o.beats.length === 0 || o.beats.length > 10_000 || o.beats.some((b) => typeof b !== "number" || !Number.isFinite(b)))
        bad("beats must be a non-empty array of seconds");
      const beats = [...(o.beats as number[])].sort((a, b) => a - b);
      sortClips(track);
      for (let i = 0; i < track.clips.length - 1; i++) {
        const clip = track.clips[i] as Clip;
        const end = clipEnd(clip);
        const tr = track.transitions.find((t) => t.fromClipId === clip.id)?.duration ?? 0;
        const candidates = beats
          .filter((b) => b - clip.start > frame + tr && (clip.sourceDuration === null || clip.in + (b - clip.start) * clip.speed <= clip.sourceDuration + EPS))
          .sort((a, b) => Math.abs(a - end) - Math.abs(b - end));
        const beat = candidates[0];
        if (beat === undefined) continue;
        const snapped = Math.round(beat * doc.fps) / doc.fps;
        const delta = snapped - end;
        if (Math.abs(delta) < EPS) continue;
        const oldEnd = end;
        if (clip.media === "image" || clip.media === "text") clip.out = r6(clip.out + delta);
        else clip.out = r6(clip.out + delta * clip.speed);
        if (clip.sourceDuration !== null && clip.out > clip.sourceDuration) clip.out = clip.sourceDuration;
        shiftAfter(track, oldEnd - tr - 1e-3, clipEnd(clip) - oldEnd, clip.id);
      }
      break;
    }
    default:
      bad(`unknown command ${String(cmd.type)}`, { known: COMMAND_TYPES });
  }
  checkDoc(doc);
  return doc;
}

/** A new, empty project with one video track, one text track and one music track. */
export function newProject(
  o: Record<string, unknown>,
  resolution: (aspect: ProjectDoc["aspect"], short: number) => { width: number; height: number },
): ProjectDoc {
  const aspect = oneOf<ProjectDoc["aspect"]>(o, "aspect", ["9:16", "1:1", "4:5", "16:9"], "9:16");
  const { width, height } = resolution(aspect, num(o, "shortSide", { min: 16, max: 2160, def: 1080 }));
  const track = (kind: TrackKind, name: string, role: AudioRole | null = null): Track => ({
    id: newId(),
    kind,
    name,
    muted: false,
    locked: false,
    role,
    duck: role === "music",
    clips: [],
    transitions: [],
  });
  return {
    name: str(o, "name", { def: "Untitled video" }),
    fps: num(o, "fps", { min: 1, max: 120, def: 30 }),
    aspect,
    width,
    height,
    background: color(o, "background", "black"),
    tracks: [track("video", "Main"), track("text", "Text"), track("audio", "Music", "music")],
  };
}
