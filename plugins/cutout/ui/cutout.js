// Editor tool "Background": remove the background (transparent PNG/WebP) or replace it with a colour or a blur of the photo.
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
    <div class="card cutout-panel">
      <label>Background
        <select data-testid="cutout-background">
          <option value="transparent">Transparent</option>
          <option value="color">Colour</option>
          <option value="blur">Blur of the photo</option>
        </select>
      </label>
      <label>Colour <input type="color" value="#ffffff" data-testid="cutout-color" /></label>
      <label>Format
        <select data-testid="cutout-format">
          <option value="png">PNG</option>
          <option value="webp">WebP</option>
          <option value="jpeg">JPEG (not for transparent)</option>
        </select>
      </label>
      <label><input type="checkbox" checked data-testid="cutout-refine" /> Refine edges</label>
      <button type="button" class="button primary" data-testid="cutout-run">Remove background</button>
      <progress max="1" value="0" hidden></progress>
      <p data-testid="cutout-model" class="muted"></p>
    </div>`;
  const $ = (sel) => element.querySelector(sel);
  const button = $("[data-testid=cutout-run]");
  const progress = $("progress");

  sdk.api
    .request("GET", `${sdk.api.base}/models`)
    .then(({ models }) => {
      const m = models[0];
      $("[data-testid=cutout-model]").textContent = m
        ? `${m.id} (${m.license}): ${m.status === "installed" ? "installed" : `not installed — run "crealia models fetch ${m.id}"`}`
        : "";
    })
    .catch(() => {});

  const run = async () => {
    const id = sdk.asset.current()?.id;
    if (!id) return sdk.toast("Open a photo first.", "error");
    const kind = $("[data-testid=cutout-background]").value;
    const background = kind === "color" ? { kind, color: $("[data-testid=cutout-color]").value } : { kind };
    button.disabled = true;
    progress.hidden = false;
    try {
      const { jobId } = await sdk.api.request("POST", `${sdk.api.base}/assets/${id}/remove`, {
        background,
        format: $("[data-testid=cutout-format]").value,
        refine: $("[data-testid=cutout-refine]").checked,
      });
      const job = await untilEnded(sdk, jobId, (p) => (progress.value = p));
      if (job.status !== "succeeded") throw new Error(job.error?.message ?? `job ${job.status}`);
      const r = job.result;
      sdk.editor?.setPreview(`/api/assets/${r.assetId}/files/original?version=${r.newVersion}`);
      sdk.editor?.commit("Background", { background, version: r.newVersion });
      sdk.toast(`Background ${kind === "transparent" ? "removed" : "replaced"}: version ${r.newVersion}.`, "success");
    } catch (err) {
      sdk.toast(err.message, "error");
    } finally {
      button.disabled = false;
      progress.hidden = true;
    }
  };
  button.addEventListener("click", run);
  return () => {
    button.removeEventListener("click", run);
    element.textContent = "";
  };
}
