// Editor tool "Face": detect faces, look at the skin mask, retouch with sliders. Plain DOM; everything through `sdk`.
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
    <div class="card face-panel">
      <label>Model
        <select data-testid="face-model">
          <option value="auto">Auto (both)</option>
          <option value="front">Selfie / portrait</option>
          <option value="back">Group photo</option>
        </select>
      </label>
      <button type="button" class="button" data-testid="face-detect">Detect faces</button>
      <p data-testid="face-count" aria-live="polite">No faces detected yet.</p>
      <button type="button" class="button" data-testid="face-mask">Show skin mask</button>
      <label>Skin smoothing <input type="range" min="0" max="1" step="0.05" value="0.5" data-param="smoothing" /></label>
      <label>Brighten eyes <input type="range" min="0" max="1" step="0.05" value="0.3" data-param="eyes" /></label>
      <label>Whiten teeth <input type="range" min="0" max="1" step="0.05" value="0.3" data-param="teeth" /></label>
      <label>Enlarge eyes <input type="range" min="0" max="1" step="0.05" value="0" data-param="eyeEnlarge" /></label>
      <label>Slim face <input type="range" min="0" max="1" step="0.05" value="0" data-param="faceSlim" /></label>
      <button type="button" class="button primary" data-testid="face-retouch">Retouch</button>
      <progress max="1" value="0" hidden></progress>
    </div>`;
  const $ = (sel) => element.querySelector(sel);
  const progress = $("progress");
  const count = $("[data-testid=face-count]");
  const buttons = [...element.querySelectorAll("button")];
  const busy = (on) => {
    for (const b of buttons) b.disabled = on;
    progress.hidden = !on;
    progress.value = 0;
  };
  const assetId = () => sdk.asset.current()?.id;

  const run = async (path, body) => {
    const id = assetId();
    if (!id) return sdk.toast("Open a photo first.", "error");
    busy(true);
    try {
      const { jobId } = await sdk.api.request("POST", `${sdk.api.base}/assets/${id}/${path}`, body);
      const job = await untilEnded(sdk, jobId, (p) => (progress.value = p));
      if (job.status !== "succeeded") throw new Error(job.error?.message ?? `job ${job.status}`);
      return job.result;
    } catch (err) {
      sdk.toast(err.message, "error");
      return null;
    } finally {
      busy(false);
    }
  };

  const detect = async () => {
    const result = await run("detect", { model: $("[data-testid=face-model]").value });
    if (result) count.textContent = result.count === 1 ? "1 face found." : `${result.count} faces found.`;
  };
  const showMask = () => {
    const id = assetId();
    if (id) sdk.editor?.setPreview(`${sdk.api.base}/assets/${id}/mask.png?kind=skin&width=1024`);
  };
  const retouch = async () => {
    const params = Object.fromEntries([...element.querySelectorAll("[data-param]")].map((i) => [i.dataset.param, Number(i.value)]));
    const result = await run("retouch", { ...params, model: $("[data-testid=face-model]").value });
    if (!result) return;
    if (result.status === "no-faces") return sdk.toast("No faces in this photo: nothing to retouch.", "info");
    sdk.editor?.setPreview(`/api/assets/${result.assetId}/files/original?version=${result.newVersion}`);
    sdk.editor?.commit("Face retouch", { ...params, version: result.newVersion });
    sdk.toast(`Retouched ${result.faces} face(s): saved as version ${result.newVersion}.`, "success");
  };

  const handlers = [
    ["[data-testid=face-detect]", detect],
    ["[data-testid=face-mask]", showMask],
    ["[data-testid=face-retouch]", retouch],
  ];
  for (const [sel, fn] of handlers) $(sel).addEventListener("click", fn);
  const offAsset = sdk.asset.subscribe(() => {
    count.textContent = "No faces detected yet.";
  });
  return () => {
    offAsset();
    for (const [sel, fn] of handlers) $(sel)?.removeEventListener("click", fn);
    element.textContent = "";
  };
}
