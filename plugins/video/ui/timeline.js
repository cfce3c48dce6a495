// The video plugin's timeline page: projects, a media bin, tracks, clips with thumbnails and
// waveforms, drag to move and trim (either edge), split at the playhead, transitions, adding and
// editing text, undo/redo and a preview render played in place.
// Plain DOM, no framework: everything arrives in `sdk` (see docs/plugins.md, UI panels).

const HEAD_W = 190;
const RULER_H = 26;
const ROW_H = { video: 60, overlay: 52, text: 36, audio: 48 };
const TRANSITIONS = ["fade", "dissolve", "wipeleft", "wiperight", "wipeup", "wipedown", "slideleft", "slideright", "slideup", "slidedown", "zoomin"];
const TRACK_COLOURS = { video: "#3b5bdb", overlay: "#7048e8", text: "#e8590c", audio: "#2b8a3e" };

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "style") Object.assign(el.style, v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

const SVG = "http://www.w3.org/2000/svg";
// Inline icons (an emoji font is not a given on every system the studio runs on).
const ICONS = {
  sound: "M3 9h4l5-4v14l-5-4H3z M15.5 8.5a5 5 0 0 1 0 7 M18 6a8.5 8.5 0 0 1 0 12",
  muted: "M3 9h4l5-4v14l-5-4H3z M16 9l5 6 M21 9l-5 6",
  locked: "M6 11h12v9H6z M8.5 11V8a3.5 3.5 0 0 1 7 0v3",
  unlocked: "M6 11h12v9H6z M8.5 11V8a3.5 3.5 0 0 1 6.8-1.2",
  up: "M12 19V5 M6 11l6-6 6 6",
};
function icon(name) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "14");
  svg.setAttribute("height", "14");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", ICONS[name]);
  path.setAttribute("fill", "none");
  path.setAttribute("stroke", "currentColor");
  path.setAttribute("stroke-width", "2");
  path.setAttribute("stroke-linecap", "round");
  path.setAttribute("stroke-linejoin", "round");
  svg.append(path);
  return svg;
}
const clipLength = (c) => (c.out - c.in) / c.speed;
const r6 = (x) => Math.round(x * 1e6) / 1e6;

/**
 * The command for dragging a clip's left edge by `ds` timeline seconds: the end stays where it is.
 * A clip with a source moves its in point (the start follows); a still or a title has none, so
 * its head goes to the new start. Clamped so at least one frame is left; null when nothing moves.
 */
export function headTrim(clip, ds, fps) {
  const frame = 1 / fps;
  const end = clip.start + clipLength(clip);
  const still = clip.media === "image" || clip.media === "text";
  let start = Math.min(end - frame, Math.max(0, clip.start + ds));
  if (!still) start = Math.max(start, clip.start - clip.in / clip.speed);
  start = Math.round(start * fps) / fps;
  if (Math.abs(start - clip.start) < 1e-6) return null;
  return still
    ? { type: "trimClip", clipId: clip.id, start: r6(start) }
    : { type: "trimClip", clipId: clip.id, in: r6(Math.max(0, clip.in + (start - clip.start) * clip.speed)) };
}

const TEXT_FIELDS = ["content", "font", "size", "color", "strokeColor", "strokeWidth", "x", "y", "animIn", "animOut"];
const NUMERIC = new Set(["size", "strokeWidth", "x", "y"]);

/** What of a text layer the editor's values change, as an updateClip patch; null when nothing changed. */
export function textPatch(current, values) {
  const text = {};
  for (const k of TEXT_FIELDS) {
    if (values[k] === undefined) continue;
    const v = NUMERIC.has(k) ? Number(values[k]) : values[k];
    if (v !== current[k]) text[k] = v;
  }
  return Object.keys(text).length ? { text } : null;
}
const fmt = (s) => {
  const m = Math.floor(s / 60);
  const sec = s - m * 60;
  return `${m}:${sec.toFixed(1).padStart(4, "0")}`;
};

export function mount(element, sdk) {
  const state = {
    projects: [],
    project: null,
    selected: null,
    playhead: 0,
    media: [],
    /** assetId → { peaks, peaksPerSecond } | "loading" | "none" */
    waves: new Map(),
    render: null,
    offs: [],
    closed: false,
    /** Fonts and animations the plugin offers (GET /capabilities). */
    caps: null,
    /** The text editor's unsaved values: { clipId, values }, kept across re-renders. */
    textDraft: null,
  };
  const root = h("div", { class: "video-timeline", style: { display: "grid", gap: "12px", minWidth: 0 } });
  element.replaceChildren(root);

  const request = async (method, path, body) => {
    try {
      return await sdk.api.request(method, path.startsWith("/api/") ? path : `${sdk.api.base}${path}`, body);
    } catch (err) {
      sdk.toast(err.message, "error");
      throw err;
    }
  };
  const show = async (promise) => {
    state.project = await promise;
    // Undo, redo or another project: the editor starts again from what the document now says.
    state.textDraft = null;
    render();
  };
  const run = async (...commands) => {
    try {
      state.project = await request("POST", `/projects/${state.project.id}/commands`, { commands, expectedRevision: state.project.revision });
    } finally {
      render();
    }
  };
  const mediaById = (id) => state.media.find((a) => a.id === id);

  async function loadProjects() {
    state.projects = (await request("GET", "/projects")).projects;
    render();
  }

  async function loadMedia() {
    const res = await request("GET", "/api/assets?limit=100");
    state.media = res.assets.filter((a) => a.kind === "video" || a.kind === "image" || a.kind === "audio");
    render();
  }

  /** Peaks of an asset's sound, fetched once from the plugin (which caches them server-side). */
  function waveOf(assetId) {
    const w = state.waves.get(assetId);
    if (w) return w;
    state.waves.set(assetId, "loading");
    sdk.api.request("GET", `${sdk.api.base}/assets/${assetId}/waveform`).then(
      (wave) => {
        state.waves.set(assetId, wave);
        if (!state.closed) render();
      },
      () => state.waves.set(assetId, "none"),
    );
    return "loading";
  }

  // ---- the toolbar ----

  function toolbar() {
    const p = state.project;
    const sel = state.selected;
    const clip = sel ? findClip(sel) : null;
    const inside = clip && state.playhead > clip.start + 1e-3 && state.playhead < clip.start + clipLength(clip) - 1e-3;
    const button = (label, onclick, opts = {}) =>
      h("button", { class: opts.primary ? "button primary" : "button", type: "button", disabled: opts.disabled ?? false, title: opts.title, onclick }, label);
    return h(
      "div",
      {
        class: "video-toolbar",
        role: "toolbar",
        "aria-label": "Timeline tools",
        style: { display: "flex", gap: "6px", flexWrap: "wrap", alignItems: "center" },
      },
      button("← Projects", () => {
        state.project = null;
        state.selected = null;
        loadProjects();
      }),
      h(
        "strong",
        { "data-testid": "project-title", style: { marginRight: "8px" } },
        `${p.name} · ${p.doc.aspect} · ${p.doc.width}×${p.doc.height} · ${fmt(p.durationS)}`,
      ),
      button("Undo", () => show(request("POST", `/projects/${p.id}/undo`)), { disabled: !p.canUndo }),
      button("Redo", () => show(request("POST", `/projects/${p.id}/redo`)), { disabled: !p.canRedo }),
      h("span", { style: { width: "1px", alignSelf: "stretch", background: "var(--border)" } }),
      button("Split at playhead", () => run({ type: "splitClip", clipId: sel, at: state.playhead }), {
        disabled: !inside,
        title: clip ? "Cut the selected clip where the playhead is" : "Select a clip first",
      }),
      button("Ripple delete", () => run({ type: "rippleDelete", clipId: sel }), { disabled: !sel }),
      button("Duplicate", () => run({ type: "duplicateClip", clipId: sel }), { disabled: !sel }),
      transitionPicker(clip),
      textAdder(),
      h("span", { style: { flex: 1 } }),
      button("Preview", () => renderProject(true), { primary: true, disabled: p.durationS <= 0 }),
      button("Export MP4", () => renderProject(false), { disabled: p.durationS <= 0 }),
    );
  }

  function findClip(id) {
    for (const t of state.project.doc.tracks) {
      const c = t.clips.find((x) => x.id === id);
      if (c) return c;
    }
    return null;
  }

  function transitionPicker(clip) {
    const track = clip && state.project.doc.tracks.find((t) => t.clips.includes(clip));
    const next = track?.kind === "video" ? track.clips[track.clips.indexOf(clip) + 1] : null;
    const select = h("select", { "aria-label": "Transition" }, ...TRANSITIONS.map((k) => h("option", { value: k }, k)));
    return h(
      "span",
      { style: { display: "inline-flex", gap: "4px" } },
      select,
      h(
        "button",
        {
          class: "button",
          type: "button",
          disabled: !next,
          title: next ? "Join the selected clip to the next one" : "Select a clip on the main track that has one after it",
          onclick: () => run({ type: "addTransition", fromClipId: clip.id, kind: select.value, duration: 0.5 }),
        },
        "Add transition",
      ),
    );
  }

  function textAdder() {
    const input = h("input", { placeholder: "Title text", "aria-label": "Text to add", style: { width: "140px" } });
    const add = async () => {
      const track = state.project.doc.tracks.find((t) => t.kind === "text");
      const content = input.value.trim();
      if (!content || !track) return;
      await run({
        type: "addClip",
        trackId: track.id,
        text: { content, size: 72, strokeWidth: 3, animIn: "fade", animOut: "fade" },
        start: state.playhead,
        duration: 2,
      });
    };
    input.addEventListener("keydown", (e) => e.key === "Enter" && add());
    return h("span", { style: { display: "inline-flex", gap: "4px" } }, input, h("button", { class: "button", type: "button", onclick: add }, "Add text"));
  }

  // ---- the text editor: the selected title's words, look, place and animation ----

  function textEditor(clip) {
    const track = state.project.doc.tracks.find((t) => t.clips.includes(clip));
    const locked = track?.locked ?? false;
    if (state.textDraft?.clipId !== clip.id) state.textDraft = { clipId: clip.id, values: { ...clip.text } };
    const values = state.textDraft.values;
    const set = (key) => (e) => {
      values[key] = e.target.value;
    };
    const fonts = state.caps?.fonts ?? [clip.text.font];
    const animations = state.caps?.textAnimations ?? ["none", "fade", "slide-up"];
    const field = (label, control) =>
      h("label", { style: { display: "grid", gap: "2px", fontSize: "12px" } }, h("span", { style: { color: "var(--text-2)" } }, label), control);
    const number = (key, label, min, max, step) =>
      field(
        label,
        h("input", {
          type: "number",
          name: key,
          min,
          max,
          step,
          value: values[key],
          "aria-label": label,
          disabled: locked,
          oninput: set(key),
          style: { width: "70px" },
        }),
      );
    const choice = (key, label, options) =>
      field(
        label,
        h(
          "select",
          { name: key, "aria-label": label, disabled: locked, onchange: set(key) },
          ...options.map((o) => h("option", { value: o, selected: o === values[key] }, o)),
        ),
      );
    // A picker for convenience beside a text field that takes what the server takes (#rrggbb, #rrggbbaa, a name).
    const colour = (key, label) => {
      const text = h("input", { name: key, value: values[key], "aria-label": label, disabled: locked, oninput: set(key), style: { width: "80px" } });
      const picker = h("input", {
        type: "color",
        "aria-label": `${label} picker`,
        value: /^#[0-9a-fA-F]{6}/.test(values[key]) ? values[key].slice(0, 7) : "#ffffff",
        disabled: locked,
        oninput: (e) => {
          values[key] = e.target.value;
          text.value = e.target.value;
        },
      });
      return field(label, h("span", { style: { display: "inline-flex", gap: "4px" } }, picker, text));
    };
    const apply = async () => {
      const patch = textPatch(clip.text, values);
      if (!patch) return;
      try {
        await run({ type: "updateClip", clipId: clip.id, patch });
        state.textDraft = null;
        render();
      } catch {
        // The toast says why; the draft stays for the user to fix.
      }
    };
    const content = h("input", {
      name: "content",
      value: values.content,
      "aria-label": "Text of the clip",
      maxlength: 500,
      disabled: locked,
      oninput: set("content"),
      style: { width: "220px" },
    });
    content.addEventListener("keydown", (e) => e.key === "Enter" && apply());
    return h(
      "form",
      {
        class: "card",
        "data-testid": "text-editor",
        "aria-label": "Text clip",
        style: { display: "flex", gap: "8px", flexWrap: "wrap", alignItems: "end", padding: "8px" },
        onsubmit: (e) => {
          e.preventDefault();
          apply();
        },
      },
      field("Text", content),
      choice("font", "Font", fonts),
      number("size", "Size", 4, 400, 1),
      colour("color", "Colour"),
      colour("strokeColor", "Stroke colour"),
      number("strokeWidth", "Stroke width", 0, 20, 1),
      number("x", "Centre x (0–1)", 0, 1, 0.01),
      number("y", "Centre y (0–1)", 0, 1, 0.01),
      choice("animIn", "Animation in", animations),
      choice("animOut", "Animation out", animations),
      h("button", { class: "button primary", type: "submit", disabled: locked, title: locked ? "The track is locked" : undefined }, "Apply text"),
      h(
        "button",
        {
          class: "button",
          type: "button",
          onclick: () => {
            state.textDraft = null;
            render();
          },
        },
        "Revert",
      ),
    );
  }

  // ---- the media bin ----

  function mediaBin() {
    const tracks = state.project.doc.tracks;
    const main = tracks.find((t) => t.kind === "video");
    const music = tracks.find((t) => t.kind === "audio");
    const add = (a) => {
      const track = a.kind === "audio" ? music : main;
      if (!track) return sdk.toast(`This project has no ${a.kind === "audio" ? "audio" : "video"} track`, "info");
      return run({ type: "addClip", trackId: track.id, assetId: a.id });
    };
    const items = state.media.map((a) => {
      const ready = a.status === "ready";
      const thumb = a.urls?.files?.["thumb-256.webp"];
      return h(
        "li",
        {
          "data-asset": a.id,
          style: {
            display: "grid",
            gridTemplateColumns: "56px 1fr auto",
            gap: "8px",
            alignItems: "center",
            padding: "4px",
            borderRadius: "6px",
            background: "var(--surface-2)",
          },
        },
        a.kind === "audio" || !thumb
          ? h(
              "div",
              {
                style: {
                  width: "56px",
                  height: "32px",
                  borderRadius: "4px",
                  display: "grid",
                  placeItems: "center",
                  background: "var(--surface-3)",
                  fontSize: "16px",
                },
              },
              a.kind === "audio" ? "♪" : "▶",
            )
          : h("img", { src: thumb, alt: "", width: 56, height: 32, style: { objectFit: "cover", borderRadius: "4px", background: "var(--surface-3)" } }),
        h(
          "div",
          { style: { minWidth: 0, fontSize: "12px" } },
          h("div", { style: { overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" }, title: a.name }, a.name),
          h(
            "div",
            { style: { color: "var(--text-2)" } },
            ready ? `${a.kind}${a.version?.durationMs ? ` · ${fmt(a.version.durationMs / 1000)}` : ""}` : a.status,
          ),
        ),
        h("button", { class: "button", type: "button", disabled: !ready, "aria-label": `Add ${a.name}`, onclick: () => add(a) }, "Add"),
      );
    });
    return h(
      "aside",
      { class: "card", "aria-label": "Media", style: { display: "grid", gap: "6px", alignContent: "start", padding: "8px", minWidth: 0 } },
      h(
        "div",
        { style: { display: "flex", justifyContent: "space-between", alignItems: "center" } },
        h("strong", {}, "Media"),
        h("button", { class: "button", type: "button", title: "Reload the library's media", onclick: () => loadMedia() }, "↻"),
      ),
      items.length
        ? h("ul", { style: { listStyle: "none", margin: 0, padding: 0, display: "grid", gap: "4px", maxHeight: "300px", overflowY: "auto" } }, ...items)
        : h("p", { style: { color: "var(--text-2)", fontSize: "12px", margin: 0 } }, "Upload videos, photos or music in the library, then add them here."),
    );
  }

  // ---- rendering ----

  const player = h("div", { class: "card", "data-testid": "player", style: { minHeight: "120px", display: "grid", placeItems: "center", padding: "8px" } });
  player.append(h("p", { style: { color: "var(--text-2)", margin: 0 } }, "Preview renders play here."));

  async function renderProject(preview) {
    const { jobId } = await request("POST", `/projects/${state.project.id}/render`, { preview, format: "mp4", quality: preview ? "draft" : "standard" });
    const bar = h("progress", { max: 1, value: 0, style: { width: "100%" }, "aria-label": preview ? "Preview render" : "Export" });
    const label = h("span", { "data-testid": "render-progress" }, "0%");
    player.dataset.renderStatus = "queued";
    player.replaceChildren(
      h(
        "div",
        { style: { width: "100%", display: "grid", gap: "6px" } },
        h("div", { style: { display: "flex", justifyContent: "space-between" } }, h("span", {}, preview ? "Rendering preview…" : "Exporting…"), label),
        bar,
      ),
    );
    const off = sdk.jobs.watch(jobId, (job) => {
      const p = Math.max(0, Math.min(1, job.progress ?? 0));
      bar.value = p;
      label.textContent = `${Math.round(p * 100)}%`;
      player.dataset.renderStatus = job.status;
      if (job.status === "succeeded") {
        off();
        const { assetId, durationS, width, height } = job.result;
        player.replaceChildren(
          h(
            "div",
            { style: { display: "grid", gap: "6px", justifyItems: "center" } },
            h("video", {
              src: `/api/assets/${assetId}/files/original`,
              controls: true,
              playsinline: true,
              "data-asset": assetId,
              style: { maxWidth: "100%", maxHeight: "360px", background: "#000", borderRadius: "4px" },
            }),
            h(
              "span",
              { style: { fontSize: "12px", color: "var(--text-2)" } },
              `${preview ? "Preview" : "Export"} · ${width}×${height} · ${fmt(durationS)} · done`,
            ),
          ),
        );
      } else if (job.status === "failed" || job.status === "cancelled") {
        off();
        player.replaceChildren(h("p", { role: "alert", style: { margin: 0 } }, `Render ${job.status}: ${job.error?.message ?? ""}`));
      }
    });
    state.offs.push(off);
  }

  // ---- the timeline ----

  function waveformSvg(clip, width, height) {
    const wave = clip.assetId ? waveOf(clip.assetId) : "none";
    if (typeof wave === "string") return null;
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("width", String(width));
    svg.setAttribute("height", String(height));
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("data-waveform", "");
    Object.assign(svg.style, { position: "absolute", left: 0, top: 0, pointerEvents: "none" });
    // One bar per 2 px, each the loudest peak of the source span under it.
    const bars = Math.max(1, Math.floor(width / 2));
    const span = (clip.out - clip.in) / bars;
    let d = "";
    for (let i = 0; i < bars; i++) {
      const from = Math.floor((clip.in + i * span) * wave.peaksPerSecond);
      const to = Math.max(from + 1, Math.floor((clip.in + (i + 1) * span) * wave.peaksPerSecond));
      let peak = 0;
      for (let k = from; k < to && k < wave.peaks.length; k++) peak = Math.max(peak, wave.peaks[k] * clip.volume);
      const bh = Math.max(1, Math.min(1, peak) * (height - 6));
      d += `M${i * 2 + 1} ${(height - bh) / 2}v${bh}`;
    }
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    path.setAttribute("stroke", "rgba(255,255,255,0.85)");
    path.setAttribute("stroke-width", "1.2");
    svg.append(path);
    return svg;
  }

  function clipEl(track, clip, pps) {
    const left = clip.start * pps;
    const width = Math.max(6, clipLength(clip) * pps);
    const height = ROW_H[track.kind] - 8;
    const asset = clip.assetId ? mediaById(clip.assetId) : null;
    const thumb = clip.assetId && clip.media !== "audio" ? `url(/api/assets/${clip.assetId}/files/thumb-256.webp)` : null;
    const selected = state.selected === clip.id;
    const name = clip.text ? clip.text.content : (asset?.name ?? clip.media);
    const el = h("div", {
      "data-clip": clip.id,
      "data-media": clip.media,
      role: "button",
      tabindex: 0,
      "aria-pressed": selected ? "true" : "false",
      "aria-label": `${name}, ${fmt(clip.start)} to ${fmt(clip.start + clipLength(clip))}`,
      title: `${name} · ${clipLength(clip).toFixed(2)} s${clip.speed !== 1 ? ` · ${clip.speed}×` : ""}`,
      style: {
        position: "absolute",
        left: `${left}px`,
        width: `${width}px`,
        top: "4px",
        height: `${height}px`,
        boxSizing: "border-box",
        borderRadius: "5px",
        border: selected ? "2px solid #ffd43b" : "1px solid rgba(0,0,0,0.35)",
        boxShadow: selected ? "0 0 0 2px rgba(255,212,59,0.35)" : "none",
        background: thumb ? `${thumb} left center / auto 100% repeat-x, ${TRACK_COLOURS[track.kind]}` : TRACK_COLOURS[track.kind],
        cursor: track.locked ? "not-allowed" : "grab",
        overflow: "hidden",
        fontSize: "11px",
        color: "#fff",
        userSelect: "none",
        touchAction: "none",
      },
    });
    if (clip.media === "audio") {
      const svg = waveformSvg(clip, width, height);
      if (svg) el.append(svg);
    }
    el.append(
      h(
        "span",
        {
          style: {
            position: "absolute",
            left: "4px",
            bottom: "2px",
            right: "10px",
            whiteSpace: "nowrap",
            overflow: "hidden",
            textOverflow: "ellipsis",
            textShadow: "0 1px 2px rgba(0,0,0,0.9)",
            pointerEvents: "none",
          },
        },
        name,
      ),
    );
    const handle = h("div", {
      title: "Drag to trim the end",
      "data-trim": "out",
      style: { position: "absolute", right: 0, top: 0, bottom: 0, width: "7px", cursor: "ew-resize", background: "rgba(255,255,255,0.55)" },
    });
    const headHandle = h("div", {
      title: "Drag to trim the start",
      "data-trim": "in",
      style: { position: "absolute", left: 0, top: 0, bottom: 0, width: "7px", cursor: "ew-resize", background: "rgba(255,255,255,0.55)" },
    });
    el.append(headHandle, handle);
    el.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        state.selected = clip.id;
        render();
      }
    });
    el.addEventListener("pointerdown", (ev) => {
      ev.stopPropagation();
      state.selected = clip.id;
      if (track.locked) return render();
      const mode = ev.target === handle ? "out" : ev.target === headHandle ? "in" : "move";
      const x0 = ev.clientX;
      el.setPointerCapture?.(ev.pointerId);
      const move = (e) => {
        const dx = e.clientX - x0;
        if (mode === "out") el.style.width = `${Math.max(6, width + dx)}px`;
        else if (mode === "in") {
          const d = Math.min(dx, width - 6);
          el.style.left = `${Math.max(0, left + d)}px`;
          el.style.width = `${width - d}px`;
        } else el.style.left = `${Math.max(0, left + dx)}px`;
      };
      const up = async (e) => {
        el.removeEventListener("pointermove", move);
        const ds = (e.clientX - x0) / pps;
        if (Math.abs(ds) < 0.02) return render();
        const command =
          mode === "out"
            ? { type: "trimClip", clipId: clip.id, out: Math.max(clip.in + 0.05, clip.out + ds * clip.speed) }
            : mode === "in"
              ? headTrim(clip, ds, state.project.doc.fps)
              : { type: "moveClip", clipId: clip.id, start: Math.max(0, clip.start + ds) };
        if (!command) return render();
        await run(command).catch(render);
      };
      el.addEventListener("pointermove", move);
      el.addEventListener("pointerup", up, { once: true });
    });
    return el;
  }

  function lane(track, pps, width) {
    const el = h("div", {
      "data-track": track.id,
      "data-kind": track.kind,
      style: {
        position: "relative",
        height: `${ROW_H[track.kind]}px`,
        width: `${width}px`,
        background: "var(--surface-2)",
        borderBottom: "1px solid var(--border)",
        opacity: track.muted ? 0.55 : 1,
      },
    });
    for (const c of track.clips) el.append(clipEl(track, c, pps));
    for (const t of track.transitions) {
      const to = track.clips.find((c) => c.id === t.toClipId);
      if (!to) continue;
      el.append(
        h("div", {
          title: `${t.kind} · ${t.duration} s`,
          "data-transition": t.kind,
          style: {
            position: "absolute",
            left: `${to.start * pps}px`,
            width: `${Math.max(8, t.duration * pps)}px`,
            top: "4px",
            height: `${ROW_H[track.kind] - 8}px`,
            background: "repeating-linear-gradient(135deg, rgba(255,255,255,0.75) 0 4px, rgba(0,0,0,0.25) 4px 8px)",
            borderRadius: "4px",
            pointerEvents: "none",
            zIndex: 1,
          },
        }),
      );
    }
    return el;
  }

  function head(track, index) {
    const toggle = (key) => run({ type: "setTrack", trackId: track.id, [key]: !track[key] });
    // The track header's small icon buttons: mute, lock, move up.
    const trackButton = (props, iconName) =>
      h("button", { class: "button", type: "button", style: { padding: "3px 5px", minWidth: 0, lineHeight: 0 }, ...props }, icon(iconName));
    return h(
      "div",
      {
        style: {
          display: "flex",
          gap: "4px",
          alignItems: "center",
          height: `${ROW_H[track.kind]}px`,
          boxSizing: "border-box",
          padding: "0 6px",
          fontSize: "12px",
          borderBottom: "1px solid var(--border)",
          borderLeft: `4px solid ${TRACK_COLOURS[track.kind]}`,
        },
      },
      h("span", { style: { flex: 1, overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" }, title: `${track.name} (${track.kind})` }, track.name),
      trackButton(
        { title: "Mute", "aria-label": `Mute ${track.name}`, "aria-pressed": track.muted ? "true" : "false", onclick: () => toggle("muted") },
        track.muted ? "muted" : "sound",
      ),
      trackButton(
        { title: "Lock", "aria-label": `Lock ${track.name}`, "aria-pressed": track.locked ? "true" : "false", onclick: () => toggle("locked") },
        track.locked ? "locked" : "unlocked",
      ),
      trackButton(
        {
          title: "Move up",
          "aria-label": `Move ${track.name} up`,
          disabled: index === 0,
          onclick: () => run({ type: "reorderTrack", trackId: track.id, index: index - 1 }),
        },
        "up",
      ),
    );
  }

  function ruler(total, pps, width) {
    const step = pps >= 60 ? 1 : pps >= 25 ? 2 : pps >= 12 ? 5 : 10;
    const el = h("div", {
      "data-testid": "ruler",
      style: {
        position: "relative",
        height: `${RULER_H}px`,
        width: `${width}px`,
        borderBottom: "1px solid var(--border)",
        cursor: "pointer",
        fontSize: "10px",
        color: "var(--text-2)",
      },
    });
    for (let s = 0; s <= total; s += step)
      el.append(
        h("div", { style: { position: "absolute", left: `${s * pps}px`, bottom: 0, height: "8px", borderLeft: "1px solid var(--text-2)" } }),
        h("span", { style: { position: "absolute", left: `${s * pps + 3}px`, top: "2px" } }, fmt(s).replace(/\.0$/, "")),
      );
    const seek = (e) => {
      const r = el.getBoundingClientRect();
      setPlayhead((e.clientX - r.left) / pps);
    };
    el.addEventListener("pointerdown", (e) => {
      seek(e);
      el.setPointerCapture(e.pointerId);
      const move = (m) => seek(m);
      el.addEventListener("pointermove", move);
      el.addEventListener("pointerup", () => el.removeEventListener("pointermove", move), { once: true });
    });
    return el;
  }

  let playheadLine = null;
  let playheadInput = null;
  let playheadLabel = null;
  let current = { pps: 80 };
  function setPlayhead(t) {
    const fps = state.project.doc.fps;
    state.playhead = Math.max(0, Math.round(t * fps) / fps);
    if (playheadLine) playheadLine.style.left = `${state.playhead * current.pps}px`;
    if (playheadInput) playheadInput.value = String(state.playhead);
    if (playheadLabel) playheadLabel.textContent = fmt(state.playhead);
    // The split button depends on where the playhead is.
    const bar = root.querySelector(".video-toolbar");
    if (bar) bar.replaceWith(toolbar());
  }

  function timeline() {
    const p = state.project;
    const total = Math.max(10, Math.ceil(p.durationS + 3));
    const avail = Math.max(400, (root.clientWidth || element.clientWidth || 1000) - HEAD_W - 40);
    const pps = Math.max(8, Math.min(160, avail / total));
    current = { pps };
    const width = Math.ceil(total * pps);
    playheadLine = h("div", {
      "data-testid": "playhead",
      style: {
        position: "absolute",
        top: 0,
        bottom: 0,
        left: `${state.playhead * pps}px`,
        width: "2px",
        background: "#fa5252",
        pointerEvents: "none",
        zIndex: 2,
      },
    });
    playheadInput = h("input", {
      type: "range",
      min: 0,
      max: total,
      step: 1 / p.doc.fps,
      value: state.playhead,
      "aria-label": "Playhead",
      style: { width: "100%", margin: 0 },
    });
    playheadInput.addEventListener("input", () => setPlayhead(Number(playheadInput.value)));
    playheadLabel = h("span", { "data-testid": "playhead-time", style: { fontVariantNumeric: "tabular-nums" } }, fmt(state.playhead));
    const heads = h(
      "div",
      { style: { width: `${HEAD_W}px`, flex: "none", borderRight: "1px solid var(--border)" } },
      h(
        "div",
        {
          style: {
            height: `${RULER_H}px`,
            borderBottom: "1px solid var(--border)",
            display: "flex",
            gap: "6px",
            alignItems: "center",
            padding: "0 6px",
            fontSize: "12px",
          },
        },
        h("span", { style: { color: "var(--text-2)" } }, "Playhead"),
        playheadLabel,
      ),
      ...p.doc.tracks.map(head),
      h("div", { style: { height: "28px" } }),
    );
    // The slider under the lanes spans exactly the timeline (its thumb's half-width padded out),
    // so it lines up with the ruler; dragging on the ruler moves the playhead too.
    const scrub = h("div", { style: { height: "28px", display: "flex", alignItems: "center", margin: "0 -8px", width: `${width + 16}px` } }, playheadInput);
    const content = h(
      "div",
      { style: { position: "relative", width: `${width}px` } },
      ruler(total, pps, width),
      ...p.doc.tracks.map((t) => lane(t, pps, width)),
      scrub,
      playheadLine,
    );
    content.addEventListener("pointerdown", (e) => {
      if (e.target === content || e.target.dataset?.track) {
        state.selected = null;
        render();
      }
    });
    return h(
      "div",
      { class: "card", style: { padding: 0, display: "grid", minWidth: 0 } },
      h(
        "div",
        { style: { display: "flex", minWidth: 0 } },
        heads,
        h("div", { style: { overflowX: "auto", overflowY: "hidden", flex: 1, minWidth: 0, paddingLeft: "8px" } }, content),
      ),
    );
  }

  function projectList() {
    const name = h("input", { placeholder: "New project name", "aria-label": "Project name" });
    const aspect = h("select", { "aria-label": "Aspect" }, ...["9:16", "1:1", "4:5", "16:9"].map((a) => h("option", { value: a }, a)));
    return [
      h("h2", { style: { margin: 0 } }, "Video projects"),
      h(
        "form",
        {
          style: { display: "flex", gap: "6px" },
          onsubmit: async (e) => {
            e.preventDefault();
            state.project = await request("POST", "/projects", { name: name.value.trim() || "Untitled video", aspect: aspect.value });
            state.selected = null;
            state.playhead = 0;
            render();
          },
        },
        name,
        aspect,
        h("button", { class: "button primary", type: "submit" }, "Create"),
      ),
      state.projects.length
        ? h(
            "ul",
            { "aria-label": "Projects" },
            ...state.projects.map((p) =>
              h(
                "li",
                {},
                h(
                  "a",
                  {
                    href: "#",
                    onclick: (e) => {
                      e.preventDefault();
                      state.selected = null;
                      state.playhead = 0;
                      show(request("GET", `/projects/${p.id}`));
                    },
                  },
                  `${p.name} (${fmt(p.durationS)})`,
                ),
              ),
            ),
          )
        : h("p", { style: { color: "var(--text-2)" } }, "No projects yet."),
    ];
  }

  function render() {
    if (state.closed) return;
    if (!state.project) {
      root.replaceChildren(...projectList());
      return;
    }
    if (state.selected && !findClip(state.selected)) state.selected = null;
    const selected = state.selected ? findClip(state.selected) : null;
    root.replaceChildren(
      toolbar(),
      ...(selected?.media === "text" && selected.text ? [textEditor(selected)] : []),
      h("div", { style: { display: "grid", gridTemplateColumns: "minmax(220px, 280px) 1fr", gap: "12px", minWidth: 0 } }, mediaBin(), player),
      timeline(),
    );
  }

  loadProjects().catch(() => {});
  loadMedia().catch(() => {});
  request("GET", "/capabilities").then(
    (caps) => {
      state.caps = caps;
      render();
    },
    () => {},
  );
  return () => {
    state.closed = true;
    for (const off of state.offs) off();
    element.replaceChildren();
  };
}
