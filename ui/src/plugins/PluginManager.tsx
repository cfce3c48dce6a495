import { createMemo, createResource, createSignal, For, Show } from "solid-js";
import type { PluginStatus } from "../api/types.js";
import { Dialog } from "../app/Dialog.js";
import { api, panels, refreshPanels, session } from "../app/services.js";
import { toast, toastError } from "../app/toasts.js";
import { AgencyBundles } from "./AgencyBundles.js";
import { coerceValues, type SchemaField, schemaFields } from "./schema-form.js";
import { loadManagement, savePluginSettings, setPluginEnabled, settingsSchemaOf, type TenantPlugin } from "./tenant-plugins.js";

const STATE_TEXT: Record<string, string> = { started: "Running", failed: "Left out", stopped: "Stopped", starting: "Starting" };

/** Installed plugins: version, state and, for one left out, why; enable/disable and settings for this workspace. */
export default function PluginManager() {
  const [list, { refetch }] = createResource(async () => (await api.plugins()).plugins);
  const [management, { mutate: setManagement, refetch: refetchManagement }] = createResource(() => loadManagement(api));
  const [settingsFor, setSettingsFor] = createSignal<TenantPlugin | null>(null);
  const [pending, setPending] = createSignal<string | null>(null);
  const tenantPlugin = (id: string) => {
    const m = management();
    return m?.kind === "manage" ? (m.plugins.find((p) => p.id === id) ?? null) : null;
  };
  const panelCount = createMemo(() => {
    const counts = new Map<string, number>();
    for (const p of panels()) counts.set(p.plugin, (counts.get(p.plugin) ?? 0) + 1);
    return counts;
  });

  const updateOne = (fresh: TenantPlugin) =>
    setManagement((m) => (m?.kind === "manage" ? { kind: "manage", plugins: m.plugins.map((p) => (p.id === fresh.id ? fresh : p)) } : m));

  const toggle = async (p: PluginStatus, enabled: boolean) => {
    setPending(p.id);
    try {
      const { plugin } = await setPluginEnabled(api, p.id, enabled);
      updateOne(plugin);
      await Promise.all([refreshPanels(), refetch()]);
      toast(`${p.id} ${enabled ? "enabled" : "disabled"} for this workspace.`, "success");
    } catch (err) {
      toastError(`Couldn't ${enabled ? "enable" : "disable"} ${p.id}`, err);
    } finally {
      setPending(null);
    }
  };

  const isAgency = () => session().tenants.find((t) => t.id === session().tenantId)?.kind === "agency";

  const reload = () => {
    void refetch();
    void refetchManagement();
  };

  return (
    <div class="page">
      <header class="page-header">
        <h1>Plugins</h1>
        <button type="button" class="button" onClick={reload}>
          Refresh
        </button>
      </header>
      <Show when={management()?.kind === "unavailable"}>
        <div class="notice" role="note">
          <strong>Read-only.</strong> This server doesn't offer per-workspace plugin management, so plugins can't be enabled, disabled or configured from here.
          What you see is every installed plugin and its state; the command line shows the same with <code>crealia plugins list</code>.
        </div>
      </Show>
      <Show when={management()?.kind === "forbidden"}>
        <div class="notice" role="note">
          <strong>Read-only.</strong> Managing plugins needs the admin role in this workspace. Ask an owner or admin to enable or configure plugins.
        </div>
      </Show>
      <Show when={management.error}>
        <div class="notice error" role="alert">
          This workspace's plugin choices couldn't be loaded. {(management.error as Error).message}
        </div>
      </Show>
      <Show when={list.error}>
        <div class="notice error" role="alert">
          The plugin list couldn't be loaded. {(list.error as Error).message}{" "}
          <button type="button" class="link-button" onClick={reload}>
            Try again
          </button>
        </div>
      </Show>
      <Show when={list.loading && !list.latest}>
        <p role="status">
          <span class="spinner" aria-hidden="true" /> Loading plugins…
        </p>
      </Show>
      <Show when={list.latest}>
        {(plugins) => (
          <Show
            when={plugins().length}
            fallback={
              <div class="empty-state">
                <h2>No plugins installed</h2>
                <p>
                  Every feature of Crealia is a plugin. Put plugins in the server's <code>plugins/</code> folder or <code>CREALIA_PLUGIN_DIRS</code>, or
                  scaffold one with <code>crealia plugin new &lt;id&gt;</code>.
                </p>
              </div>
            }
          >
            <table class="table plugin-table">
              <caption class="visually-hidden">Installed plugins</caption>
              <thead>
                <tr>
                  <th scope="col">Plugin</th>
                  <th scope="col">Version</th>
                  <th scope="col">State</th>
                  <th scope="col">In this workspace</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                <For each={plugins()}>
                  {(p) => {
                    const tp = () => tenantPlugin(p.id);
                    const enabled = () => tp()?.enabled ?? p.enabled;
                    return (
                      <tr data-plugin={p.id}>
                        <th scope="row">
                          {p.name ?? p.id}
                          <span class="muted small">
                            <Show when={p.name && p.name !== p.id}>{` · ${p.id}`}</Show>
                            <Show when={panelCount().get(p.id)}>{(n) => ` · ${n()} panel${n() > 1 ? "s" : ""}`}</Show>
                          </span>
                          <Show when={p.description}>{(d) => <div class="muted small plugin-description">{d()}</div>}</Show>
                        </th>
                        <td>
                          {p.version}
                          <Show when={tp()?.versionPin}>{(pin) => <span class="muted small"> (pinned {pin()})</span>}</Show>
                        </td>
                        <td>
                          <span class={`status-chip ${p.state}`}>{STATE_TEXT[p.state] ?? p.state}</span>
                          <Show when={p.reason}>
                            <p class="reason">
                              {p.phase ? `${p.phase}: ` : ""}
                              {p.reason}
                            </p>
                          </Show>
                          <Show when={tp()?.enabled && !tp()?.active && p.state === "started"}>
                            <p class="reason">Enabled, but the installed version is outside this workspace's pin, so it stays off.</p>
                          </Show>
                        </td>
                        <td>
                          <label class="switch">
                            <input
                              type="checkbox"
                              role="switch"
                              checked={enabled()}
                              aria-checked={enabled()}
                              disabled={!tp() || pending() === p.id}
                              onChange={(e) => void toggle(p, e.currentTarget.checked)}
                              aria-label={`${p.id} enabled in this workspace`}
                            />
                            <span>{pending() === p.id ? "Saving…" : enabled() ? "Enabled" : "Disabled"}</span>
                          </label>
                        </td>
                        <td>
                          <Show when={tp()}>
                            {(t) => (
                              <button type="button" class="button small" onClick={() => setSettingsFor(t())} aria-label={`Settings of ${p.id}`}>
                                Settings
                              </button>
                            )}
                          </Show>
                        </td>
                      </tr>
                    );
                  }}
                </For>
              </tbody>
            </table>
          </Show>
        )}
      </Show>
      <Show when={isAgency()}>
        <AgencyBundles pluginIds={(list.latest ?? []).filter((p) => p.state === "started").map((p) => p.id)} />
      </Show>
      <Dialog open={settingsFor() !== null} title={`${settingsFor()?.id ?? ""} settings`} onClose={() => setSettingsFor(null)}>
        <Show when={settingsFor()} keyed>
          {(p) => (
            <SettingsForm
              plugin={p}
              onSaved={(fresh) => {
                updateOne(fresh);
                setSettingsFor(null);
              }}
              onCancel={() => setSettingsFor(null)}
            />
          )}
        </Show>
      </Dialog>
    </div>
  );
}

function SettingsForm(props: { plugin: TenantPlugin; onSaved: (p: TenantPlugin) => void; onCancel: () => void }) {
  const [problems, setProblems] = createSignal<Record<string, string>>({});
  const [saving, setSaving] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  const fields = createMemo(() => schemaFields(settingsSchemaOf(props.plugin)));

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const raw: Record<string, unknown> = {};
    for (const f of fields()) raw[f.key] = f.kind === "boolean" ? form.has(f.key) : form.get(f.key);
    const { values, problems: found } = coerceValues(fields(), raw);
    setProblems(found);
    setError(null);
    if (Object.keys(found).length) return;
    setSaving(true);
    try {
      const { plugin } = await savePluginSettings(api, props.plugin.id, { ...props.plugin.settings, ...values });
      toast(`Settings of ${props.plugin.id} saved.`, "success");
      props.onSaved(plugin);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setSaving(false);
    }
  };

  return (
    <Show when={fields().length} fallback={<p>This plugin has no settings to change here.</p>}>
      <form class="form" onSubmit={submit} novalidate>
        <For each={fields()}>{(f) => <Field field={f} value={props.plugin.settings[f.key] ?? f.default} problem={problems()[f.key]} />}</For>
        <Show when={props.plugin.secrets.length}>
          <p class="muted small">Secrets set: {props.plugin.secrets.join(", ")} (never shown).</p>
        </Show>
        <Show when={error()}>
          <p class="field-error" role="alert">
            {error()}
          </p>
        </Show>
        <div class="dialog-actions">
          <button type="button" class="button" onClick={() => props.onCancel()}>
            Cancel
          </button>
          <button type="submit" class="button primary" disabled={saving()}>
            {saving() ? "Saving…" : "Save"}
          </button>
        </div>
      </form>
    </Show>
  );
}

function Field(props: { field: SchemaField; value: unknown; problem?: string }) {
  const f = props.field;
  const id = `setting-${f.key}`;
  const described = [f.description ? `${id}-help` : "", props.problem ? `${id}-problem` : ""].filter(Boolean).join(" ") || undefined;
  const text = (v: unknown) => (v === undefined || v === null ? "" : Array.isArray(v) ? v.join(", ") : typeof v === "object" ? JSON.stringify(v) : String(v));
  return (
    <div class="field">
      <Show
        when={f.kind === "boolean"}
        fallback={
          <label for={id}>
            {f.label}
            {f.required ? " *" : ""}
          </label>
        }
      >
        <label class="checkbox">
          <input id={id} name={f.key} type="checkbox" checked={Boolean(props.value)} aria-describedby={described} /> {f.label}
        </label>
      </Show>
      <Show when={f.kind === "enum"}>
        <select id={id} name={f.key} aria-describedby={described} aria-invalid={Boolean(props.problem)}>
          <For each={f.options}>
            {(o) => (
              <option value={String(o)} selected={String(o) === text(props.value)}>
                {String(o)}
              </option>
            )}
          </For>
        </select>
      </Show>
      <Show when={["string", "secret", "number", "integer", "list"].includes(f.kind)}>
        <input
          id={id}
          name={f.key}
          type={f.kind === "secret" ? "password" : f.kind === "number" || f.kind === "integer" ? "number" : "text"}
          value={f.kind === "secret" ? "" : text(props.value)}
          min={f.minimum}
          max={f.maximum}
          step={f.kind === "integer" ? 1 : "any"}
          aria-describedby={described}
          aria-invalid={Boolean(props.problem)}
        />
      </Show>
      <Show when={f.kind === "json"}>
        <textarea id={id} name={f.key} rows={4} aria-describedby={described}>
          {text(props.value)}
        </textarea>
      </Show>
      <Show when={f.description}>
        <p id={`${id}-help`} class="muted small">
          {f.description}
        </p>
      </Show>
      <Show when={props.problem}>
        <p id={`${id}-problem`} class="field-error">
          {props.problem}
        </p>
      </Show>
    </div>
  );
}
