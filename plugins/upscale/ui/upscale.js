// Editor tool "Upscale & AI": upscale 2×/3×/4×, restyle the photo from a prompt, or generate a new image.
// Shows which backend the tenant has configured; with none, the routes answer 409 and the panel says so.
const ENDED = ["succeeded", "failed", "cancelled"];

function untilEnded(sdk, jobId, onProgress) {
  return new Promise((resolve) => {
    let off = null;
    let done = false;
    off = sdk.jobs.watch(jobId, (job) => {
      onProgress?.(job.progress);
      if (done || !ENDED.includes(job.status)) return;
      done = true;
      queueMicrotask(() => off?.());
      resolve(job);
    });
  });
}

export function mount(element, sdk) {
  element.innerHTML = `
    <div class="card upscale-panel">
      <p data-testid="upscale-backend" class="muted">Checking the model backend…</p>
      <label>Scale
        <select data-testid="upscale-scale"><option value="2">2×</option><option value="3">3×</option><option value="4">4×</option></select>
      </label>
      <label><input type="checkbox" data-testid="upscale-fallback" /> Without a backend, use a plain lanczos resize</label>
      <button type="button" class="button primary" data-testid="upscale-run">Upscale</button>
      <hr />
      <label>Prompt <textarea rows="3" data-testid="upscale-prompt"></textarea></label>
      <label>Strength <input type="range" min="0" max="1" step="0.05" value="0.5" data-testid="upscale-strength" /></label>
      <button type="button" class="button" data-testid="upscale-style">Restyle this photo</button>
      <button type="button" class="button" data-testid="upscale-generate">Generate a new image</button>
      <progress max="1" value="0" hidden></progress>
    </div>`;
  const $ = (sel) => element.querySelector(sel);
  const progress = $("progress");
  const buttons = [...element.querySelectorAll("button")];

  sdk.api
    .request("GET", `${sdk.api.base}/backend`)
    .then((b) => {
      const caps = Object.entries(b.capabilities)
        .filter(([, c]) => c.available)
        .map(([k]) => k);
      $("[data-testid=upscale-backend]").textContent =
        b.backend === "none"
          ? "No model backend configured (tenant settings of the Upscale plugin)."
          : `Backend: ${b.id ?? b.backend}${b.server && !b.server.reachable ? " — not reachable" : ""}. Can: ${caps.join(", ") || "nothing"}.`;
    })
    .catch((err) => ($("[data-testid=upscale-backend]").textContent = err.message));

  const run = async (path, body, done) => {
    for (const b of buttons) b.disabled = true;
    progress.hidden = false;
    try {
      const { jobId } = await sdk.api.request("POST", `${sdk.api.base}${path}`, body);
      const job = await untilEnded(sdk, jobId, (p) => (progress.value = p));
      if (job.status !== "succeeded") throw new Error(job.error?.message ?? `job ${job.status}`);
      done(job.result);
    } catch (err) {
      sdk.toast(err.message, "error");
    } finally {
      for (const b of buttons) b.disabled = false;
      progress.hidden = true;
    }
  };
  const assetId = () => sdk.asset.current()?.id;
  const showVersion = (r, label, state) => {
    sdk.editor?.setPreview(`/api/assets/${r.assetId}/files/original?version=${r.newVersion}`);
    sdk.editor?.commit(label, { ...state, version: r.newVersion });
  };

  const upscale = () => {
    const id = assetId();
    if (!id) return sdk.toast("Open a photo first.", "error");
    const scale = Number($("[data-testid=upscale-scale]").value);
    const body = { scale, ...($("[data-testid=upscale-fallback]").checked ? { fallback: "lanczos" } : {}) };
    return run(`/assets/${id}/upscale`, body, (r) => {
      showVersion(r, `Upscale ${scale}×`, { scale });
      sdk.toast(r.fallback ? `Resized ${scale}× with lanczos (no AI backend).` : `Upscaled ${scale}× (${r.tiles} tiles).`, "success");
    });
  };
  const style = () => {
    const id = assetId();
    if (!id) return sdk.toast("Open a photo first.", "error");
    const prompt = $("[data-testid=upscale-prompt]").value.trim();
    if (!prompt) return sdk.toast("Write a prompt first.", "error");
    const strength = Number($("[data-testid=upscale-strength]").value);
    return run(`/assets/${id}/style`, { prompt, strength }, (r) => showVersion(r, "Restyle", { prompt, strength }));
  };
  const generate = () => {
    const prompt = $("[data-testid=upscale-prompt]").value.trim();
    if (!prompt) return sdk.toast("Write a prompt first.", "error");
    return run("/generate", { prompt }, () => sdk.toast("Generated: the new image is in the library.", "success"));
  };
  const handlers = [
    ["[data-testid=upscale-run]", upscale],
    ["[data-testid=upscale-style]", style],
    ["[data-testid=upscale-generate]", generate],
  ];
  for (const [sel, fn] of handlers) $(sel).addEventListener("click", fn);
  return () => {
    for (const [sel, fn] of handlers) $(sel)?.removeEventListener("click", fn);
    element.textContent = "";
  };
}
