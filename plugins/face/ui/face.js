// Editor tool "Face": detect faces, look at the masks the retouch works through, retouch with sliders.
// Plain DOM, laid out with the studio's panel form classes; everything through `sdk`.
const slider = (param, label, value) =>
  `<label class="panel-field"><span>${label}</span><input type="range" min="0" max="1" step="0.05" value="${value}" data-param="${param}" /><output>${value}</output></label>`;

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

/** What a retouch did, in words: the steps whose slider was up, the blemishes removed, the new version. */
export function retouchSummary(params, result) {
  const steps = [
    ["smoothing", "skin smoothed"],
    ["eyes", "eyes brightened"],
    ["teeth", "teeth whitened"],
    ["eyeEnlarge", "eyes enlarged"],
    ["faceSlim", "face slimmed"],
  ]
    .filter(([param]) => params[param] > 0)
    .map(([, done]) => done);
  // One count per face; jobs from before blemish removal have none.
  const spots = (result.blemishesRemoved ?? []).reduce((sum, n) => sum + n, 0);
  if (params.blemishes > 0) steps.push(spots === 0 ? "no blemishes found" : `${plural(spots, "blemish", "blemishes")} removed`);
  const what = steps.length > 0 ? `: ${steps.join(", ")}` : "";
  return `Retouched ${plural(result.faces, "face", "faces")}${what}. Saved as version ${result.newVersion}.`;
}

export function mount(element, sdk) {
  element.innerHTML = `
    <div class="panel-form face-panel">
      <section class="panel-section">
        <h3>Faces</h3>
        <label class="panel-field"><span>Model</span>
          <select data-testid="face-model">
            <option value="auto">Auto (installed detectors)</option>
            <option value="front">Selfie / portrait</option>
            <option value="back">Group photo</option>
          </select>
        </label>
        <div class="panel-actions">
          <button type="button" class="button" data-testid="face-detect">Detect faces</button>
        </div>
        <label class="panel-field"><span>Mask</span>
          <select data-testid="face-mask-kind">
            <option value="skin">Skin</option>
            <option value="eyes">Eyes</option>
            <option value="lips">Lips</option>
            <option value="teeth">Teeth</option>
            <option value="faces">Whole faces</option>
          </select>
        </label>
        <div class="panel-actions">
          <button type="button" class="button" data-testid="face-mask">Show mask</button>
        </div>
        <p data-testid="face-count" class="panel-note" aria-live="polite">No faces detected yet.</p>
      </section>
      <section class="panel-section">
        <h3>Retouch</h3>
        ${slider("smoothing", "Skin smoothing", 0.5)}
        ${slider("eyes", "Brighten eyes", 0.3)}
        ${slider("teeth", "Whiten teeth", 0.3)}
        ${slider("eyeEnlarge", "Enlarge eyes", 0)}
        ${slider("faceSlim", "Slim face", 0)}
        ${slider("blemishes", "Remove blemishes", 0)}
        <div class="panel-actions"><button type="button" class="button primary" data-testid="face-retouch">Retouch</button></div>
        <p class="panel-note">Saved as a new version of the photo; double-click a slider to reset it.</p>
      </section>
      <div class="panel-progress" role="status" hidden><progress max="1"></progress><span></span></div>
    </div>`;
  const $ = (sel) => element.querySelector(sel);
  const progressBox = $(".panel-progress");
  const [progress, progressText] = progressBox.children;
  const count = $("[data-testid=face-count]");
  const buttons = [...element.querySelectorAll("button")];
  const sliders = [...element.querySelectorAll("input[type=range][data-param]")];
  const assetId = () => sdk.asset.current()?.id;

  // Each slider shows its value; a double-click puts it back to its default.
  const showValue = (e) => {
    const input = e.target.closest("input[type=range]");
    if (input) input.nextElementSibling.textContent = Number(input.value).toFixed(2);
  };
  const resetSlider = (e) => {
    const input = e.target.closest("input[type=range]");
    if (!input) return;
    input.value = input.defaultValue;
    showValue(e);
  };
  for (const input of sliders) showValue({ target: input });

  /** Runs one face job on the open photo; its result, or null after telling the person why not. */
  const faceJob = async (action, what, body) => {
    const id = assetId();
    if (!id) return void sdk.toast("Open a photo first.", "error");
    for (const b of buttons) b.disabled = true;
    progress.removeAttribute("value");
    progressText.textContent = `${what}…`;
    progressBox.hidden = false;
    try {
      const { jobId } = await sdk.api.request("POST", `${sdk.api.base}/assets/${id}/${action}`, body);
      const job = await sdk.jobs.untilEnded(jobId, (p) => {
        progress.value = p;
        progressText.textContent = `${what}: ${Math.round(p * 100)}%`;
      });
      if (job.status === "succeeded") return job.result;
      sdk.toast(`${what} did not finish: ${job.status === "cancelled" ? "the job was cancelled." : (job.error?.message ?? "the job failed.")}`, "error");
    } catch (err) {
      sdk.toast(err.message, "error");
    } finally {
      for (const b of buttons) b.disabled = false;
      progressBox.hidden = true;
    }
    return null;
  };

  const detect = async () => {
    const result = await faceJob("detect", "Detecting faces", { model: $("[data-testid=face-model]").value });
    if (result) count.textContent = result.count === 0 ? "No faces found." : result.count === 1 ? "1 face found." : `${result.count} faces found.`;
  };
  const showMask = () => {
    const id = assetId();
    if (!id) return sdk.toast("Open a photo first.", "error");
    // The mask the retouch sliders work through, as a grey image over the canvas (white = full effect).
    const kind = $("[data-testid=face-mask-kind]").value;
    sdk.editor?.setPreview(`${sdk.api.base}/assets/${id}/mask.png?kind=${encodeURIComponent(kind)}&width=1024`);
  };
  const retouch = async () => {
    const params = Object.fromEntries(sliders.map((i) => [i.dataset.param, Number(i.value)]));
    const result = await faceJob("retouch", "Retouching", { ...params, model: $("[data-testid=face-model]").value });
    if (!result) return;
    if (result.status === "no-faces") return sdk.toast("No faces in this photo: nothing to retouch.", "info");
    sdk.editor?.setPreview(`/api/assets/${result.assetId}/files/original?version=${result.newVersion}`);
    sdk.editor?.commit("Face retouch", { ...params, version: result.newVersion });
    sdk.toast(retouchSummary(params, result), "success");
  };

  const handlers = [
    ["[data-testid=face-detect]", "click", detect],
    ["[data-testid=face-mask]", "click", showMask],
    ["[data-testid=face-retouch]", "click", retouch],
    [".face-panel", "input", showValue],
    [".face-panel", "dblclick", resetSlider],
  ];
  for (const [sel, type, fn] of handlers) $(sel).addEventListener(type, fn);
  const offAsset = sdk.asset.subscribe(() => {
    count.textContent = "No faces detected yet.";
  });
  return () => {
    offAsset();
    for (const [sel, type, fn] of handlers) $(sel)?.removeEventListener(type, fn);
    element.textContent = "";
  };
}
