// Editor tool "Background": remove the background (transparent PNG/WebP) or replace it with a colour or a blur of the photo.
// Plain DOM, laid out with the studio's panel form classes; everything through `sdk`.
export function mount(element, sdk) {
  element.innerHTML = `
    <div class="panel-form cutout-panel">
      <p data-testid="cutout-model" class="panel-note" aria-live="polite">Checking the background model…</p>
      <section class="panel-section">
        <label class="panel-field"><span>Background</span>
          <select data-testid="cutout-background">
            <option value="transparent">Transparent</option>
            <option value="color">Colour</option>
            <option value="blur">Blur of the photo</option>
          </select>
        </label>
        <label class="panel-field" data-for="color" hidden><span>Colour</span><input type="color" value="#ffffff" data-testid="cutout-color" /></label>
        <label class="panel-field"><span>Format</span>
          <select data-testid="cutout-format">
            <option value="">Automatic</option>
            <option value="png">PNG</option>
            <option value="webp">WebP</option>
            <option value="jpeg">JPEG (no transparency)</option>
          </select>
        </label>
        <label class="panel-check"><input type="checkbox" checked data-testid="cutout-refine" /> Refine edges (hair, fur)</label>
      </section>
      <div class="panel-actions"><button type="button" class="button primary" data-testid="cutout-run">Remove background</button></div>
      <div class="panel-progress" role="status" hidden><progress max="1"></progress><span></span></div>
      <p class="panel-note" data-testid="cutout-hint">Automatic saves PNG with transparency, JPEG otherwise. The result is a new version of the photo.</p>
    </div>`;
  const $ = (sel) => element.querySelector(sel);
  const kindSelect = $("[data-testid=cutout-background]");
  const formatSelect = $("[data-testid=cutout-format]");
  const button = $("[data-testid=cutout-run]");
  const progressBox = $(".panel-progress");
  const [progress, progressText] = progressBox.children;
  const modelNote = $("[data-testid=cutout-model]");

  // JPEG has no alpha: not offered for a transparent background.
  const syncBackground = () => {
    const transparent = kindSelect.value === "transparent";
    $("[data-for=color]").hidden = kindSelect.value !== "color";
    formatSelect.querySelector("option[value=jpeg]").disabled = transparent;
    if (transparent && formatSelect.value === "jpeg") formatSelect.value = "";
    button.textContent = transparent ? "Remove background" : "Replace background";
  };
  syncBackground();

  sdk.api
    .request("GET", `${sdk.api.base}/models`)
    .then(({ models }) => {
      const m = models[0];
      if (!m) return void (modelNote.textContent = "");
      const installed = m.status === "installed";
      modelNote.classList.toggle("attention", !installed);
      modelNote.innerHTML = installed
        ? "Model <strong></strong>, licence <span></span>."
        : m.status === "corrupt"
          ? "The background model <strong></strong> is damaged. An admin fetches it again on the server with <code></code>. (Licence <span></span>.)"
          : "The background model <strong></strong> is not installed yet. An admin installs it on the server with <code></code>. (Licence <span></span>.)";
      modelNote.querySelector("strong").textContent = m.id;
      modelNote.querySelector("span").textContent = m.license;
      const code = modelNote.querySelector("code");
      if (code) code.textContent = `crealia models fetch ${m.id}${m.status === "corrupt" ? " --force" : ""}`;
    })
    .catch((err) => (modelNote.textContent = `Could not check the model: ${err.message}`));

  const onJob = (p, job) => {
    progress.value = p;
    progressText.textContent = job.status === "queued" ? "Waiting…" : `${Math.round(p * 100)}%`;
  };

  const run = async () => {
    const id = sdk.asset.current()?.id;
    if (!id) return sdk.toast("Open a photo first.", "error");
    const kind = kindSelect.value;
    const background = kind === "color" ? { kind, color: $("[data-testid=cutout-color]").value } : { kind };
    const format = formatSelect.value;
    button.disabled = true;
    progress.removeAttribute("value");
    progressText.textContent = "Starting…";
    progressBox.hidden = false;
    try {
      const { jobId } = await sdk.api.request("POST", `${sdk.api.base}/assets/${id}/remove`, {
        background,
        ...(format ? { format } : {}),
        refine: $("[data-testid=cutout-refine]").checked,
      });
      const job = await sdk.jobs.untilEnded(jobId, onJob);
      if (job.status !== "succeeded") {
        const why = job.status === "cancelled" ? "the job was cancelled." : (job.error?.message ?? "the job failed.");
        return sdk.toast(`The background could not be ${kind === "transparent" ? "removed" : "replaced"}: ${why}`, "error");
      }
      const r = job.result;
      sdk.editor?.setPreview(`/api/assets/${r.assetId}/files/original?version=${r.newVersion}`);
      sdk.editor?.commit("Background", { background, version: r.newVersion });
      sdk.toast(`Background ${kind === "transparent" ? "removed" : "replaced"}: version ${r.newVersion}.`, "success");
    } catch (err) {
      sdk.toast(err.message, "error");
    } finally {
      button.disabled = false;
      progressBox.hidden = true;
    }
  };
  button.addEventListener("click", run);
  kindSelect.addEventListener("change", syncBackground);
  return () => {
    button.removeEventListener("click", run);
    kindSelect.removeEventListener("change", syncBackground);
    element.textContent = "";
  };
}
