// The video plugin's timeline page: projects, tracks, clips with thumbnails, drag to move and
// trim, split at the playhead, transitions, undo/redo and a preview render played in place.
// Plain DOM, no framework: everything arrives in `sdk` (see docs/plugins.md, UI panels).

const PX_PER_S = 80;

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "style") Object.assign(el.style, v);
    else el.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}

const clipLength = (c) => (c.out - c.in) / c.speed;

export function mount(element, sdk) {
  const state = { projects: [], project: null, selected: null, playhead: 0, offs: [] };
  const root = h("div", { class: "video-timeline", style: { display: "grid", gap: "12px" } });
  element.replaceChildren(root);

  const request = async (method, path, body) => {
    try {
      return await sdk.api.request(method, `${sdk.api.base}${path}`, body);
    } catch (err) {
      sdk.toast(err.message, "error");
      throw err;
    }
  };
  const show = async (promise) => {
    state.project = await promise;
    render();
  };
  const run = async (...commands) => {
    state.project = await request("POST", `/projects/${state.project.id}/commands`, { commands, expectedRevision: state.project.revision });
    render();
  };

  async function loadProjects() {
    state.projects = (await request("GET", "/projects")).projects;
    render();
  }

  function toolbar() {
    const p = state.project;
    const sel = state.selected;
    return h(
      "div",
      { style: { display: "flex", gap: "6px", flexWrap: "wrap", alignItems: "center" } },
      h(
        "button",
        {
          class: "button",
          onclick: () => {
            state.project = null;
            loadProjects();
          },
        },
        "Projects",
      ),
      h("strong", {}, `${p.name} · ${p.doc.aspect} · ${p.durationS.toFixed(2)} s`),
      h(
        "button",
        {
          class: "button",
          disabled: p.canUndo ? null : "",
          onclick: () => show(request("POST", `/projects/${p.id}/undo`)),
        },
        "Undo",
      ),
      h(
        "button",
        {
          class: "button",
          disabled: p.canRedo ? null : "",
          onclick: () => show(request("POST", `/projects/${p.id}/redo`)),
        },
        "Redo",
      ),
      h(
        "button",
        { class: "button", disabled: sel ? null : "", onclick: () => run({ type: "splitClip", clipId: sel, at: state.playhead }) },
        "Split at playhead",
      ),
      h("button", { class: "button", disabled: sel ? null : "", onclick: () => run({ type: "rippleDelete", clipId: sel }) }, "Ripple delete"),
      h("button", { class: "button", disabled: sel ? null : "", onclick: () => run({ type: "duplicateClip", clipId: sel }) }, "Duplicate"),
      transitionPicker(sel),
      h("button", { class: "button", onclick: addText }, "Add text"),
      h("button", { class: "button", onclick: addSelectedAssets }, "Add selected media"),
      h("button", { class: "button primary", onclick: () => renderProject(true) }, "Preview"),
      h("button", { class: "button", onclick: () => renderProject(false) }, "Export MP4"),
    );
  }

  function transitionPicker(sel) {
    const select = h(
      "select",
      {},
      ...["fade", "dissolve", "wipeleft", "wiperight", "wipeup", "wipedown", "slideleft", "slideright", "slideup", "slidedown", "zoomin"].map((k) =>
        h("option", { value: k }, k),
      ),
    );
    return h(
      "span",
      {},
      select,
      h(
        "button",
        { class: "button", disabled: sel ? null : "", onclick: () => run({ type: "addTransition", fromClipId: sel, kind: select.value, duration: 0.5 }) },
        "Add transition",
      ),
    );
  }

  async function addText() {
    const content = prompt("Text");
    const track = state.project.doc.tracks.find((t) => t.kind === "text");
    if (content && track) await run({ type: "addClip", trackId: track.id, text: { content, size: 64 }, start: state.playhead, duration: 2 });
  }

  async function addSelectedAssets() {
    const main = state.project.doc.tracks.find((t) => t.kind === "video");
    const ids = sdk.selection.current();
    if (!main || ids.length === 0) return sdk.toast("Select videos or photos in the library first", "info");
    await run(...ids.map((assetId) => ({ type: "addClip", trackId: main.id, assetId })));
  }

  async function renderProject(preview) {
    const { jobId } = await request("POST", `/projects/${state.project.id}/render`, { preview, format: "mp4", quality: preview ? "draft" : "standard" });
    const bar = h("progress", { max: 1, value: 0, style: { width: "100%" } });
    player.replaceChildren(bar);
    const off = sdk.jobs.watch(jobId, (job) => {
      bar.value = job.progress;
      if (job.status === "succeeded") {
        off();
        player.replaceChildren(
          h("video", { src: `/api/assets/${job.result.assetId}/files/original`, controls: "", style: { maxWidth: "100%", maxHeight: "360px" } }),
        );
      } else if (job.status === "failed" || job.status === "cancelled") {
        off();
        player.replaceChildren(h("p", {}, `Render ${job.status}: ${job.error?.message ?? ""}`));
      }
    });
    state.offs.push(off);
  }

  function clipEl(track, clip) {
    const left = clip.start * PX_PER_S;
    const width = Math.max(6, clipLength(clip) * PX_PER_S);
    const thumb = clip.assetId && clip.media !== "audio" ? `url(/api/assets/${clip.assetId}/files/thumb-256.webp)` : "none";
    const el = h(
      "div",
      {
        "data-clip": clip.id,
        title: clip.text?.content ?? clip.media,
        style: {
          position: "absolute",
          left: `${left}px`,
          width: `${width}px`,
          top: "4px",
          bottom: "4px",
          borderRadius: "4px",
          border: `2px solid ${state.selected === clip.id ? "var(--accent)" : "var(--border)"}`,
          background: `${thumb} left/auto 100% repeat-x, var(--surface)`,
          cursor: track.locked ? "not-allowed" : "grab",
          overflow: "hidden",
          fontSize: "11px",
          color: "var(--text)",
        },
      },
      clip.text ? clip.text.content : "",
    );
    const handle = h("div", { style: { position: "absolute", right: 0, top: 0, bottom: 0, width: "6px", cursor: "ew-resize", background: "var(--accent)" } });
    el.append(handle);
    el.addEventListener("pointerdown", (ev) => {
      state.selected = clip.id;
      if (track.locked) return render();
      const trimming = ev.target === handle;
      const x0 = ev.clientX;
      el.setPointerCapture(ev.pointerId);
      const move = (e) => {
        const dx = e.clientX - x0;
        if (trimming) el.style.width = `${Math.max(6, width + dx)}px`;
        else el.style.left = `${Math.max(0, left + dx)}px`;
      };
      const up = async (e) => {
        el.removeEventListener("pointermove", move);
        const ds = (e.clientX - x0) / PX_PER_S;
        if (Math.abs(ds) < 0.02) return render();
        if (trimming) await run({ type: "trimClip", clipId: clip.id, out: Math.max(clip.in + 0.05, clip.out + ds * clip.speed) }).catch(render);
        else await run({ type: "moveClip", clipId: clip.id, start: Math.max(0, clip.start + ds) }).catch(render);
      };
      el.addEventListener("pointermove", move);
      el.addEventListener("pointerup", up, { once: true });
    });
    return el;
  }

  function trackRow(track, index) {
    const lane = h("div", {
      style: { position: "relative", height: track.kind === "audio" ? "36px" : "52px", minWidth: "100%", background: "var(--surface)" },
    });
    for (const c of track.clips) lane.append(clipEl(track, c));
    for (const t of track.transitions) {
      const to = track.clips.find((c) => c.id === t.toClipId);
      if (to)
        lane.append(
          h("div", {
            title: t.kind,
            style: {
              position: "absolute",
              left: `${to.start * PX_PER_S}px`,
              width: `${t.duration * PX_PER_S}px`,
              top: 0,
              height: "6px",
              background: "var(--accent)",
            },
          }),
        );
    }
    const toggle = (key) => run({ type: "setTrack", trackId: track.id, [key]: !track[key] });
    const head = h(
      "div",
      { style: { display: "flex", gap: "4px", alignItems: "center", width: "200px", fontSize: "12px" } },
      h("span", { style: { flex: 1 } }, `${track.name} (${track.kind})`),
      h("button", { class: "button", title: "Mute", onclick: () => toggle("muted") }, track.muted ? "🔇" : "🔊"),
      h("button", { class: "button", title: "Lock", onclick: () => toggle("locked") }, track.locked ? "🔒" : "🔓"),
      h(
        "button",
        {
          class: "button",
          title: "Move up",
          disabled: index === 0 ? "" : null,
          onclick: () => run({ type: "reorderTrack", trackId: track.id, index: index - 1 }),
        },
        "↑",
      ),
    );
    return h("div", { style: { display: "flex", gap: "8px", alignItems: "stretch" } }, head, lane);
  }

  const player = h("div", { class: "card", style: { minHeight: "40px" } });

  function render() {
    if (!state.project) {
      const name = h("input", { placeholder: "New project name" });
      const aspect = h("select", {}, ...["9:16", "1:1", "4:5", "16:9"].map((a) => h("option", { value: a }, a)));
      root.replaceChildren(
        h("h2", {}, "Video projects"),
        h(
          "div",
          { style: { display: "flex", gap: "6px" } },
          name,
          aspect,
          h(
            "button",
            {
              class: "button primary",
              onclick: async () => {
                state.project = await request("POST", "/projects", { name: name.value || "Untitled video", aspect: aspect.value });
                render();
              },
            },
            "Create",
          ),
        ),
        h(
          "ul",
          {},
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
                    show(request("GET", `/projects/${p.id}`));
                  },
                },
                `${p.name} (${p.durationS.toFixed(1)} s)`,
              ),
            ),
          ),
        ),
      );
      return;
    }
    const total = Math.max(10, state.project.durationS + 5);
    const ruler = h("input", {
      type: "range",
      min: 0,
      max: total,
      step: 1 / state.project.doc.fps,
      value: state.playhead,
      style: { width: `${total * PX_PER_S}px`, marginLeft: "208px" },
    });
    ruler.addEventListener("input", () => (state.playhead = Number(ruler.value)));
    root.replaceChildren(
      toolbar(),
      player,
      h("div", { style: { overflowX: "auto", display: "grid", gap: "4px" } }, ruler, ...state.project.doc.tracks.map(trackRow)),
    );
  }

  loadProjects().catch(() => {});
  return () => {
    for (const off of state.offs) off();
    element.replaceChildren();
  };
}
