// Editor tool "Upscale & AI": upscale 2×/3×/4×, restyle the photo from a prompt, or generate a new image.
// It first asks the plugin what this workspace's backend can do (GET …/backend) and says what is
// missing and how to get it; the actions a backend cannot run stay off. Plain DOM, panel form classes.
const SETTINGS = "Plugins → upscale → Settings";
/** Text from the server goes into markup escaped. */
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** What a person reads about the backend (markup), and whether they have something to do first. */
function describeBackend(b) {
  const fetch = b.model ? `<code>${esc(b.model.fetch)}</code>` : "";
  const model = esc(b.model?.id ?? b.id);
  if (b.backend === "sdwebui") {
    if (b.server && !b.server.reachable)
      return {
        text: `The Stable Diffusion server does not answer (${esc(b.server.problem ?? "no reply")}). Check that it runs with --api, or its address in ${SETTINGS}.`,
        todo: true,
      };
    return {
      text: b.id ? `Runs on the Stable Diffusion server ${esc(b.id.replace(/^sdwebui:/, ""))}.` : `No server address set: add sdwebui.url in ${SETTINGS}.`,
      todo: !b.id,
    };
  }
  if (b.backend === "none")
    return {
      text: `AI models are turned off for this workspace. To upscale, set backend to "auto" in ${SETTINGS}${fetch ? ` and install the model on the server with ${fetch}` : ""}.`,
      todo: true,
    };
  if (b.model?.status === "missing")
    return {
      text: `Upscaling needs the model ${model}, which is not installed yet. An admin installs it on the server with ${fetch}; nothing else to set.`,
      todo: true,
    };
  if (b.model?.status === "corrupt") return { text: `The model ${model} is damaged. An admin fetches it again with ${fetch}.`, todo: true };
  return { text: `Upscales with ${model} on this server.`, todo: false };
}

export function mount(element, sdk) {
  element.innerHTML = `
    <div class="panel-form upscale-panel">
      <section class="panel-section">
        <h3>Upscale</h3>
        <p data-testid="upscale-backend" class="panel-note" aria-live="polite">Checking the model backend…</p>
        <label class="panel-field"><span>Scale</span>
          <select data-testid="upscale-scale"><option value="2">2×</option><option value="3">3×</option><option value="4">4×</option></select>
        </label>
        <label class="panel-check" hidden><input type="checkbox" data-testid="upscale-fallback" /> Until then, use a plain lanczos resize (not AI)</label>
        <div class="panel-actions"><button type="button" class="button primary" data-testid="upscale-run">Upscale</button></div>
      </section>
      <section class="panel-section">
        <h3>Restyle or generate</h3>
        <label class="panel-field stacked"><span>Prompt</span><textarea rows="3" data-testid="upscale-prompt" placeholder="e.g. a watercolour painting"></textarea></label>
        <label class="panel-field"><span>Strength</span><input type="range" min="0" max="1" step="0.05" value="0.5" data-testid="upscale-strength" /><output>0.50</output></label>
        <div class="panel-actions">
          <button type="button" class="button" data-testid="upscale-style">Restyle this photo</button>
          <button type="button" class="button" data-testid="upscale-generate">Generate a new image</button>
        </div>
        <p class="panel-note" data-testid="upscale-generative-note" hidden></p>
      </section>
      <div class="panel-progress" role="status" hidden><progress max="1"></progress><span></span></div>
    </div>`;
  const $ = (sel) => element.querySelector(sel);
  const progressBox = $(".panel-progress");
  const [progress, progressText] = progressBox.children;
  const strength = $("[data-testid=upscale-strength]");
  const fallback = $("[data-testid=upscale-fallback]");
  const generativeNote = $("[data-testid=upscale-generative-note]");
  /** Which actions the backend can run; until it answered, all are offered (the routes say no in words). */
  const can = { upscale: true, style: true, generate: true };
  const actionButtons = { upscale: $("[data-testid=upscale-run]"), style: $("[data-testid=upscale-style]"), generate: $("[data-testid=upscale-generate]") };
  const enableActions = () => {
    actionButtons.upscale.disabled = false; // without a backend it still offers the lanczos resize
    actionButtons.style.disabled = !can.style;
    actionButtons.generate.disabled = !can.generate;
  };

  sdk.api
    .request("GET", `${sdk.api.base}/backend`)
    .then((b) => {
      for (const k of Object.keys(can)) can[k] = b.capabilities[k]?.available ?? false;
      const { text, todo } = describeBackend(b);
      const note = $("[data-testid=upscale-backend]");
      note.innerHTML = text;
      note.classList.toggle("attention", todo || !can.upscale);
      fallback.parentElement.hidden = can.upscale;
      if (!can.style || !can.generate) {
        generativeNote.hidden = false;
        generativeNote.textContent = can.style
          ? `Generating needs a Stable Diffusion WebUI server: backend "sdwebui" in ${SETTINGS}.`
          : `Restyling and generating need a Stable Diffusion WebUI server (backend "sdwebui" in ${SETTINGS}).`;
      }
      enableActions();
    })
    .catch((err) => ($("[data-testid=upscale-backend]").textContent = `Could not ask the plugin about its backend: ${err.message}`));

  /** Posts one job and follows it; `done(result)` once it succeeded, a toast in words otherwise. */
  const follow = async (what, path, body, done) => {
    for (const b of Object.values(actionButtons)) b.disabled = true;
    progress.removeAttribute("value");
    progressText.textContent = `${what}…`;
    progressBox.hidden = false;
    try {
      const { jobId } = await sdk.api.request("POST", `${sdk.api.base}${path}`, body);
      const job = await sdk.jobs.untilEnded(jobId, (p, j) => {
        progress.value = p;
        progressText.textContent = j.status === "queued" ? `${what}: waiting for a worker…` : `${what}: ${Math.round(p * 100)}%`;
      });
      if (job.status === "succeeded") done(job.result);
      else sdk.toast(`${what} stopped: ${job.status === "cancelled" ? "the job was cancelled." : (job.error?.message ?? "the job failed.")}`, "error");
    } catch (err) {
      sdk.toast(err.message, "error");
    } finally {
      enableActions();
      progressBox.hidden = true;
    }
  };
  const assetId = () => sdk.asset.current()?.id;
  const showVersion = (r, label, state) => {
    sdk.editor?.setPreview(`/api/assets/${r.assetId}/files/original?version=${r.newVersion}`);
    sdk.editor?.commit(label, { ...state, version: r.newVersion });
  };
  const prompt = () => $("[data-testid=upscale-prompt]").value.trim();

  const upscale = () => {
    const id = assetId();
    if (!id) return sdk.toast("Open a photo first.", "error");
    const scale = Number($("[data-testid=upscale-scale]").value);
    const body = { scale, ...(fallback.checked ? { fallback: "lanczos" } : {}) };
    return follow(`Upscaling ${scale}×`, `/assets/${id}/upscale`, body, (r) => {
      showVersion(r, `Upscale ${scale}×`, { scale });
      sdk.toast(r.fallback ? `Resized ${scale}× with lanczos (not an AI upscale).` : `Upscaled ${scale}×: version ${r.newVersion}.`, "success");
    });
  };
  const style = () => {
    const id = assetId();
    if (!id) return sdk.toast("Open a photo first.", "error");
    if (!prompt()) return sdk.toast("Write a prompt first.", "error");
    const state = { prompt: prompt(), strength: Number(strength.value) };
    return follow("Restyling", `/assets/${id}/style`, state, (r) => showVersion(r, "Restyle", state));
  };
  const generate = () => {
    if (!prompt()) return sdk.toast("Write a prompt first.", "error");
    return follow("Generating", "/generate", { prompt: prompt() }, () => sdk.toast("Generated: the new image is in the library.", "success"));
  };
  const showStrength = () => (strength.nextElementSibling.textContent = Number(strength.value).toFixed(2));

  const handlers = [
    [actionButtons.upscale, "click", upscale],
    [actionButtons.style, "click", style],
    [actionButtons.generate, "click", generate],
    [strength, "input", showStrength],
  ];
  for (const [el, type, fn] of handlers) el.addEventListener(type, fn);
  return () => {
    for (const [el, type, fn] of handlers) el.removeEventListener(type, fn);
    element.textContent = "";
  };
}
