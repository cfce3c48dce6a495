import { batch, createEffect, createMemo, createSignal, For, on, onCleanup, Show } from "solid-js";
import type { Asset, PanelDescriptor, Project } from "../api/types.js";
import { Dialog } from "../app/Dialog.js";
import { Icon } from "../app/Icon.js";
import { location, navigate } from "../app/router.js";
import { api, panelsIn, setFocusAsset, setSelection } from "../app/services.js";
import { useShortcuts } from "../app/shortcuts.js";
import { toast, toastError } from "../app/toasts.js";
import { PanelHost } from "../panels/PanelHost.js";
import { AssetGrid } from "./AssetGrid.js";
import { Inspector } from "./Inspector.js";
import { filtersToQuery, filtersToSearch, hasFilters, type LibraryFilters, parseFilters } from "./library-query.js";
import { emptySelection, keepListed, type SelectionState, select, selectAll } from "./selection.js";
import { UploadsPanel } from "./UploadsPanel.js";
import { created, enqueueUploads, processed } from "./uploads.js";

const PAGE = 200;

/** The asset library: collections, filters, search, the virtualised grid, uploads, selection actions and trash. */
export default function Library() {
  const filters = createMemo(() => parseFilters(location().search), undefined, { equals: (a, b) => filtersToSearch(a) === filtersToSearch(b) });
  const setFilters = (patch: Partial<LibraryFilters>) => navigate(`/library${filtersToSearch({ ...filters(), ...patch })}`, { replace: true });

  const [items, setItems] = createSignal<Asset[]>([]);
  const [cursor, setCursor] = createSignal<string | null>(null);
  const [hasMore, setHasMore] = createSignal(false);
  const [loading, setLoading] = createSignal(false);
  const [loadError, setLoadError] = createSignal<string | null>(null);
  const [sel, setSel] = createSignal<SelectionState>(emptySelection);
  const [projects, setProjects] = createSignal<Project[]>([]);
  const [dragging, setDragging] = createSignal(false);
  const [newCollection, setNewCollection] = createSignal<"album" | "project" | null>(null);
  const [confirmPurge, setConfirmPurge] = createSignal(false);
  const [actionPanel, setActionPanel] = createSignal<PanelDescriptor | null>(null);
  const [busy, setBusy] = createSignal(false);
  let generation = 0;
  let picker!: HTMLInputElement;
  let search!: HTMLInputElement;

  const trash = () => filters().view === "trash";

  const loadPage = async (reset: boolean) => {
    const gen = reset ? ++generation : generation;
    setLoading(true);
    if (reset) setLoadError(null);
    try {
      const page = await api.listAssets({ ...filtersToQuery(filters()), limit: PAGE, cursor: reset ? undefined : (cursor() ?? undefined) });
      if (gen !== generation) return;
      batch(() => {
        setItems((list) => (reset ? page.assets : [...list, ...page.assets.filter((a) => !list.some((b) => b.id === a.id))]));
        setCursor(page.nextCursor);
        setHasMore(page.nextCursor !== null);
      });
    } catch (err) {
      if (gen === generation) setLoadError((err as Error).message);
    } finally {
      if (gen === generation) setLoading(false);
    }
  };

  createEffect(
    on(filters, () => {
      setSel(emptySelection);
      setItems([]);
      void loadPage(true);
    }),
  );

  const loadProjects = async () => {
    try {
      setProjects((await api.listProjects()).projects);
    } catch (err) {
      toastError("Albums and projects couldn't be loaded", err);
    }
  };
  void loadProjects();

  // New uploads appear at once (processing), then refresh when their ingest ends.
  createEffect(
    on(
      created,
      (c) => {
        if (!c || trash()) return;
        const f = filters();
        if (f.kind && f.kind !== c.asset.kind) return;
        if (f.project && !c.asset.projectIds.includes(f.project)) return;
        if (f.q || f.tag || f.from || f.to) return;
        setItems((list) => (list.some((a) => a.id === c.asset.id) ? list : [c.asset, ...list]));
      },
      { defer: true },
    ),
  );
  createEffect(
    on(
      processed,
      async (p) => {
        if (!p || !items().some((a) => a.id === p.assetId)) return;
        try {
          const fresh = await api.getAsset(p.assetId);
          setItems((list) => list.map((a) => (a.id === fresh.id ? fresh : a)));
        } catch {
          // it may have been deleted meanwhile
        }
      },
      { defer: true },
    ),
  );

  const ids = createMemo(() => items().map((a) => a.id));
  const selectedIds = createMemo(() => [...sel().selected]);
  const single = createMemo(() => (sel().selected.size === 1 ? (items().find((a) => sel().selected.has(a.id)) ?? null) : null));

  createEffect(() => setSelection(selectedIds()));
  createEffect(() => {
    if (single()) setFocusAsset(single());
  });
  createEffect(on(ids, (list) => setSel((s) => keepListed(s, list)), { defer: true }));
  onCleanup(() => setSelection([]));

  const open = (asset: Asset) => {
    if (trash()) {
      toast("Restore the item before opening it.", "info");
      return;
    }
    setFocusAsset(asset);
    navigate(`/editor/${asset.id}`);
  };

  const runOnSelection = async (what: string, fn: (id: string) => Promise<unknown>, success: (n: number) => string, remove = true) => {
    const list = selectedIds();
    if (!list.length) return;
    setBusy(true);
    const results = await Promise.allSettled(list.map(fn));
    setBusy(false);
    const ok = list.filter((_, i) => results[i]?.status === "fulfilled");
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (remove) setItems((all) => all.filter((a) => !ok.includes(a.id)));
    if (ok.length) toast(success(ok.length), "success", remove && !trash() ? { label: "Undo", run: () => void restore(ok) } : undefined);
    if (failed) toastError(`${what} failed for ${list.length - ok.length} item${list.length - ok.length > 1 ? "s" : ""}`, failed.reason);
  };

  const restore = async (list: string[]) => {
    const results = await Promise.allSettled(list.map((id) => api.restoreAsset(id)));
    const back = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    if (!trash()) setItems((all) => [...back, ...all].sort((a, b) => b.createdAt.localeCompare(a.createdAt)));
    else setItems((all) => all.filter((a) => !back.some((b) => b.id === a.id)));
    if (back.length) toast(`${back.length} item${back.length > 1 ? "s" : ""} restored.`, "success");
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) toastError("Some items couldn't be restored", failed.reason);
  };

  const moveToTrash = () =>
    runOnSelection(
      "Moving to trash",
      (id) => api.trashAsset(id),
      (n) => `${n} item${n > 1 ? "s" : ""} moved to trash.`,
    );
  const purge = () =>
    runOnSelection(
      "Deleting",
      (id) => api.purgeAsset(id),
      (n) => `${n} item${n > 1 ? "s" : ""} deleted for good.`,
    );

  const addTo = async (projectId: string) => {
    const project = projects().find((p) => p.id === projectId);
    try {
      const { added } = await api.addToProject(projectId, selectedIds());
      toast(`${added} item${added === 1 ? "" : "s"} added to “${project?.name ?? "album"}”.`, "success");
      void loadProjects();
    } catch (err) {
      toastError("Couldn't add to the album", err);
    }
  };

  const removeFromCurrent = async () => {
    const projectId = filters().project;
    if (!projectId) return;
    try {
      await api.removeFromProject(projectId, selectedIds());
      const gone = new Set(selectedIds());
      setItems((all) => all.filter((a) => !gone.has(a.id)));
      toast("Removed from this collection (the items stay in the library).", "success");
      void loadProjects();
    } catch (err) {
      toastError("Couldn't remove from the collection", err);
    }
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const files = e.dataTransfer?.files;
    if (files?.length) {
      const n = enqueueUploads(files, { projectId: filters().project });
      toast(`Uploading ${n} file${n > 1 ? "s" : ""}…`);
    }
  };
  const hasFiles = (e: DragEvent) => Boolean(e.dataTransfer?.types.includes("Files"));

  useShortcuts([
    { combo: "/", description: "Search the library", group: "Library", run: () => search.focus() },
    { combo: "u", description: "Upload files", group: "Library", run: () => picker.click() },
    { combo: "mod+a", description: "Select all loaded items", group: "Library", run: () => setSel(selectAll(ids())) },
    { combo: "escape", description: "Clear the selection", group: "Library", run: () => setSel(emptySelection) },
    { combo: "delete", description: "Move the selection to trash", group: "Library", run: () => (trash() ? setConfirmPurge(true) : void moveToTrash()) },
  ]);

  const collections = createMemo(() => ({ albums: projects().filter((p) => p.kind === "album"), projects: projects().filter((p) => p.kind === "project") }));
  const currentTitle = createMemo(() => {
    if (trash()) return "Trash";
    const p = projects().find((x) => x.id === filters().project);
    return p ? p.name : "All items";
  });
  const actionPanels = createMemo(() => panelsIn("library.action"));

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: the whole library is a drop zone; the Upload button is the keyboard path
    <div
      class="library"
      classList={{ dragging: dragging() }}
      onDragEnter={(e) => hasFiles(e) && !trash() && setDragging(true)}
      onDragOver={(e) => {
        if (!hasFiles(e) || trash()) return;
        e.preventDefault();
        if (e.dataTransfer) e.dataTransfer.dropEffect = "copy";
      }}
      onDragLeave={(e) => {
        if (e.relatedTarget === null || !(e.currentTarget as HTMLElement).contains(e.relatedTarget as Node)) setDragging(false);
      }}
      onDrop={onDrop}
    >
      <aside class="collections" aria-label="Collections">
        <h2 class="visually-hidden">Collections</h2>
        <button type="button" class="collection" aria-current={!trash() && !filters().project ? "true" : undefined} onClick={() => navigate("/library")}>
          <Icon name="library" size={18} /> All items
        </button>
        <CollectionGroup
          title="Albums"
          list={collections().albums}
          current={filters().project}
          onPick={(id) => navigate(`/library?project=${id}`)}
          onAdd={() => setNewCollection("album")}
        />
        <CollectionGroup
          title="Projects"
          list={collections().projects}
          current={filters().project}
          onPick={(id) => navigate(`/library?project=${id}`)}
          onAdd={() => setNewCollection("project")}
        />
        <button type="button" class="collection" aria-current={trash() ? "true" : undefined} onClick={() => navigate("/library?view=trash")}>
          <Icon name="trash" size={18} /> Trash
        </button>
      </aside>

      <section class="library-main" aria-labelledby="library-title">
        <div class="library-header">
          <h1 id="library-title">{currentTitle()}</h1>
          <Show when={!trash()}>
            <button type="button" class="button primary" onClick={() => picker.click()} title="Upload (U)">
              <Icon name="upload" size={18} /> Upload
            </button>
            <input
              ref={picker}
              type="file"
              multiple
              accept="image/*,video/*,audio/*"
              class="visually-hidden"
              tabindex="-1"
              aria-label="Choose files to upload"
              data-testid="upload-input"
              onChange={(e) => {
                const files = e.currentTarget.files;
                if (files?.length) enqueueUploads(files, { projectId: filters().project });
                e.currentTarget.value = "";
              }}
            />
          </Show>
        </div>

        {/* biome-ignore lint/a11y/useSemanticElements: <search> is not in Solid's JSX types yet */}
        <div class="filters" role="search">
          <label class="search-field">
            <Icon name="search" size={18} class="search-icon" />
            <span class="visually-hidden">Search by name or tag</span>
            <input
              ref={search}
              type="search"
              placeholder="Search by name or tag"
              value={filters().q ?? ""}
              onInput={debounce((v: string) => setFilters({ q: v.trim() || undefined }), 250)}
            />
          </label>
          <label>
            <span class="filter-label">Type</span>
            <select value={filters().kind ?? ""} onChange={(e) => setFilters({ kind: (e.currentTarget.value || undefined) as LibraryFilters["kind"] })}>
              <option value="">All types</option>
              <option value="image">Photos</option>
              <option value="video">Videos</option>
              <option value="audio">Audio</option>
            </select>
          </label>
          <label>
            <span class="filter-label">Tag</span>
            <input
              type="text"
              list="known-tags"
              placeholder="any"
              size={10}
              value={filters().tag ?? ""}
              onChange={(e) => setFilters({ tag: e.currentTarget.value.trim().toLowerCase() || undefined })}
            />
            <datalist id="known-tags">
              <For each={[...new Set(items().flatMap((a) => a.tags))].slice(0, 100)}>{(t) => <option value={t} />}</For>
            </datalist>
          </label>
          <label>
            <span class="filter-label">From</span>
            <input type="date" value={filters().from ?? ""} onChange={(e) => setFilters({ from: e.currentTarget.value || undefined })} />
          </label>
          <label>
            <span class="filter-label">To</span>
            <input type="date" value={filters().to ?? ""} onChange={(e) => setFilters({ to: e.currentTarget.value || undefined })} />
          </label>
          <Show when={hasFilters(filters())}>
            <button
              type="button"
              class="link-button"
              onClick={() => setFilters({ kind: undefined, tag: undefined, from: undefined, to: undefined, q: undefined, project: filters().project })}
            >
              Clear filters
            </button>
          </Show>
        </div>

        <Show when={sel().selected.size > 0}>
          <div class="selection-bar" role="toolbar" aria-label="Selection">
            <strong>{sel().selected.size} selected</strong>
            <Show
              when={!trash()}
              fallback={
                <>
                  <button type="button" class="button" disabled={busy()} onClick={() => void restore(selectedIds())}>
                    <Icon name="restore" size={18} /> Restore
                  </button>
                  <button type="button" class="button danger" disabled={busy()} onClick={() => setConfirmPurge(true)}>
                    <Icon name="trash" size={18} /> Delete for good
                  </button>
                </>
              }
            >
              <Show when={single()}>
                {(a) => (
                  <button type="button" class="button" onClick={() => open(a())}>
                    <Icon name="editor" size={18} /> Open in editor
                  </button>
                )}
              </Show>
              <label class="inline-select">
                <span class="visually-hidden">Add to album or project</span>
                <select
                  onChange={(e) => {
                    const v = e.currentTarget.value;
                    e.currentTarget.value = "";
                    if (v === "__new") setNewCollection("album");
                    else if (v) void addTo(v);
                  }}
                >
                  <option value="">Add to…</option>
                  <For each={projects()}>
                    {(p) => (
                      <option value={p.id}>
                        {p.kind === "album" ? "Album" : "Project"}: {p.name}
                      </option>
                    )}
                  </For>
                  <option value="__new">New album…</option>
                </select>
              </label>
              <Show when={filters().project}>
                <button type="button" class="button" onClick={() => void removeFromCurrent()}>
                  Remove from {currentTitle()}
                </button>
              </Show>
              <For each={actionPanels()}>
                {(p) => (
                  <button type="button" class="button" onClick={() => setActionPanel(p)}>
                    {p.title}
                  </button>
                )}
              </For>
              <button type="button" class="button" disabled={busy()} onClick={() => void moveToTrash()} title="Move to trash (Delete)">
                <Icon name="trash" size={18} /> Move to trash
              </button>
            </Show>
            <button type="button" class="link-button" onClick={() => setSel(emptySelection)}>
              Clear selection
            </button>
          </div>
        </Show>

        <Show when={loadError()}>
          <div class="notice error" role="alert">
            The library couldn't be loaded. {loadError()}{" "}
            <button type="button" class="link-button" onClick={() => void loadPage(true)}>
              Try again
            </button>
          </div>
        </Show>

        <div class="library-body">
          <Show
            when={items().length || loading()}
            fallback={
              <div class="empty-state">
                <Icon name={trash() ? "trash" : "image"} size={40} />
                <Show
                  when={trash()}
                  fallback={
                    <>
                      <h2>{hasFilters(filters()) ? "Nothing matches these filters" : "Your library is empty"}</h2>
                      <p>
                        {hasFilters(filters())
                          ? "Try fewer filters or another search."
                          : "Drop photos, videos or audio anywhere here, or choose files to upload."}
                      </p>
                      <button type="button" class="button primary" onClick={() => picker.click()}>
                        <Icon name="upload" size={18} /> Upload files
                      </button>
                    </>
                  }
                >
                  <h2>Trash is empty</h2>
                  <p>Items you move to trash wait here until you restore them or delete them for good.</p>
                </Show>
              </div>
            }
          >
            <AssetGrid
              items={items()}
              hasMore={hasMore()}
              loading={loading()}
              selected={sel().selected}
              label={`${currentTitle()}: ${items().length}${hasMore() ? "+" : ""} items`}
              onNeedMore={() => void loadPage(false)}
              onSelect={(index, mode) => setSel((s) => select(s, ids(), index, mode))}
              onOpen={open}
            />
          </Show>
          <Show when={!trash() && single()}>
            {(asset) => (
              <Inspector asset={asset()} projects={projects()} onChange={(fresh) => setItems((all) => all.map((a) => (a.id === fresh.id ? fresh : a)))} />
            )}
          </Show>
        </div>
      </section>

      <Show when={dragging()}>
        <div class="drop-overlay" aria-hidden="true">
          <Icon name="upload" size={48} />
          <p>Drop to upload{filters().project ? ` to ${currentTitle()}` : ""}</p>
        </div>
      </Show>
      <UploadsPanel />

      <NewCollectionDialog
        kind={newCollection()}
        onClose={() => setNewCollection(null)}
        onCreated={(p) => {
          setProjects((list) => [...list, p]);
          if (sel().selected.size) void addTo(p.id);
        }}
      />
      <Dialog open={confirmPurge()} title="Delete for good?" onClose={() => setConfirmPurge(false)}>
        <p>
          {sel().selected.size} item{sel().selected.size > 1 ? "s" : ""} and every version and file will be removed. This can't be undone.
        </p>
        <div class="dialog-actions">
          <button type="button" class="button" onClick={() => setConfirmPurge(false)}>
            Keep
          </button>
          <button
            type="button"
            class="button danger"
            onClick={() => {
              setConfirmPurge(false);
              void purge();
            }}
          >
            Delete for good
          </button>
        </div>
      </Dialog>
      <Dialog open={actionPanel() !== null} title={actionPanel()?.title ?? ""} onClose={() => setActionPanel(null)} wide>
        <Show when={actionPanel()}>{(p) => <PanelHost panel={p()} />}</Show>
      </Dialog>
    </div>
  );
}

function CollectionGroup(props: { title: string; list: Project[]; current?: string; onPick: (id: string) => void; onAdd: () => void }) {
  return (
    <div class="collection-group">
      <div class="collection-group-title">
        <h3>{props.title}</h3>
        <button type="button" class="icon-button small" aria-label={`New ${props.title === "Albums" ? "album" : "project"}`} onClick={() => props.onAdd()}>
          <Icon name="plus" size={16} />
        </button>
      </div>
      <For each={props.list} fallback={<p class="muted small">None yet</p>}>
        {(p) => (
          <button type="button" class="collection" aria-current={props.current === p.id ? "true" : undefined} onClick={() => props.onPick(p.id)}>
            <Icon name="album" size={18} />
            <span class="collection-name">{p.name}</span>
            <span class="count">{p.assetCount ?? ""}</span>
          </button>
        )}
      </For>
    </div>
  );
}

function NewCollectionDialog(props: { kind: "album" | "project" | null; onClose: () => void; onCreated: (p: Project) => void }) {
  const [name, setName] = createSignal("");
  const [saving, setSaving] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    const kind = props.kind;
    if (!kind || !name().trim()) return;
    setSaving(true);
    setError(null);
    try {
      const p = await api.createProject(name().trim(), kind);
      props.onCreated({ ...p, assetCount: 0 });
      toast(`${kind === "album" ? "Album" : "Project"} “${p.name}” created.`, "success");
      setName("");
      props.onClose();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setSaving(false);
    }
  };
  return (
    <Dialog open={props.kind !== null} title={props.kind === "project" ? "New project" : "New album"} onClose={props.onClose}>
      <form onSubmit={submit} class="form">
        <label>
          Name
          <input type="text" required maxLength={200} value={name()} onInput={(e) => setName(e.currentTarget.value)} autofocus />
        </label>
        <Show when={error()}>
          <p class="field-error" role="alert">
            {error()}
          </p>
        </Show>
        <div class="dialog-actions">
          <button type="button" class="button" onClick={() => props.onClose()}>
            Cancel
          </button>
          <button type="submit" class="button primary" disabled={saving() || !name().trim()}>
            {saving() ? "Creating…" : "Create"}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function debounce<T>(fn: (v: T) => void, ms: number) {
  let t: ReturnType<typeof setTimeout> | undefined;
  return (e: { currentTarget: { value: T } }) => {
    const v = e.currentTarget.value;
    clearTimeout(t);
    t = setTimeout(() => fn(v), ms);
  };
}
