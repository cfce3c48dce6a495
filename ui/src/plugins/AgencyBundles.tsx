import { createResource, createSignal, For, Show } from "solid-js";
import { messageOf } from "../api/errors.js";
import { FormError, formAction } from "../app/form-action.js";
import { api, setSession } from "../app/services.js";
import { toast } from "../app/toasts.js";
import { loadSession } from "../auth/session.js";
import {
  applyBundle,
  type Bundle,
  bundlePlugins,
  type ClientTenant,
  createBundle,
  createClient,
  describePlugins,
  listBundles,
  listClients,
} from "./agency-bundles.js";

/**
 * For an agency workspace: its client workspaces and its bundles (named sets of plugins with
 * version pins). Applying a bundle to a client makes that client's plugins exactly the bundle's.
 */
export function AgencyBundles(props: { pluginIds: string[] }) {
  const [clients, { mutate: setClients }] = createResource(() => listClients(api));
  const [bundles, { mutate: setBundles }] = createResource(() => listBundles(api));
  const clientName = (id: string) => clients()?.find((c) => c.id === id)?.name ?? id;
  const replace = (fresh: Bundle) => setBundles((all) => (all ?? []).map((b) => (b.id === fresh.id ? fresh : b)));

  return (
    <section class="agency" aria-labelledby="agency-title">
      <h2 id="agency-title">Agency bundles</h2>
      <p class="muted">
        A bundle is the set of plugins (and version pins) a client workspace gets. Applying one turns on exactly its plugins in that client and turns the others
        off; changing a bundle later updates every client that has it.
      </p>
      <Show when={clients.error || bundles.error}>
        <div class="notice error" role="alert">
          The agency's clients or bundles couldn't be loaded. {messageOf(clients.error ?? bundles.error)}
        </div>
      </Show>
      <Show when={bundles.loading || clients.loading}>
        <p role="status">
          <span class="spinner" aria-hidden="true" /> Loading bundles…
        </p>
      </Show>
      <Show when={bundles() && clients()}>
        <Show when={bundles()?.length} fallback={<p>No bundles yet: create the first one below.</p>}>
          <table class="table bundle-table">
            <caption class="visually-hidden">Bundles</caption>
            <thead>
              <tr>
                <th scope="col">Bundle</th>
                <th scope="col">Plugins</th>
                <th scope="col">Applied to</th>
                <th scope="col">Apply to a client</th>
              </tr>
            </thead>
            <tbody>
              <For each={bundles()}>
                {(b) => (
                  <tr data-bundle={b.name}>
                    <th scope="row">
                      {b.name} <span class="muted small">rev {b.revision}</span>
                    </th>
                    <td>{describePlugins(b.plugins)}</td>
                    <td>{b.clients.length ? b.clients.map((c) => clientName(c.tenantId)).join(", ") : <span class="muted">No client yet</span>}</td>
                    <td>
                      <ApplyForm bundle={b} clients={clients() ?? []} onApplied={replace} />
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </Show>
        <div class="agency-forms">
          <NewBundleForm pluginIds={props.pluginIds} onCreated={(b) => setBundles((all) => [...(all ?? []), b])} />
          <NewClientForm clients={clients() ?? []} onCreated={(c) => setClients((all) => [...(all ?? []), c])} />
        </div>
      </Show>
    </section>
  );
}

function ApplyForm(props: { bundle: Bundle; clients: ClientTenant[]; onApplied: (b: Bundle) => void }) {
  const [target, setTarget] = createSignal("");
  const {
    busy,
    error,
    submit: apply,
  } = formAction(async () => {
    if (!target()) return "Choose a client workspace first.";
    props.onApplied(await applyBundle(api, props.bundle.id, [target()]));
    toast(`Bundle “${props.bundle.name}” applied to ${props.clients.find((c) => c.id === target())?.name ?? "the client"}.`, "success");
  });
  return (
    <form class="inline-form" onSubmit={apply}>
      <Show when={props.clients.length} fallback={<span class="muted small">Add a client workspace first.</span>}>
        <select aria-label={`Client for ${props.bundle.name}`} value={target()} onChange={(e) => setTarget(e.currentTarget.value)}>
          <option value="">Choose a client…</option>
          <For each={props.clients}>{(c) => <option value={c.id}>{c.name}</option>}</For>
        </select>
        <button type="submit" class="button small" disabled={busy()}>
          {busy() ? "Applying…" : "Apply"}
        </button>
      </Show>
      <FormError error={error()} />
    </form>
  );
}

function NewBundleForm(props: { pluginIds: string[]; onCreated: (b: Bundle) => void }) {
  const { busy, error, submit } = formAction(async (form, data) => {
    const name = String(data.get("name") ?? "").trim();
    const ticked = data.getAll("plugin").map(String);
    const pins = Object.fromEntries(ticked.map((id) => [id, String(data.get(`pin-${id}`) ?? "")]));
    if (!name) return "Give the bundle a name.";
    const bundle = await createBundle(api, name, bundlePlugins(ticked, pins));
    props.onCreated(bundle);
    toast(`Bundle “${bundle.name}” created.`, "success");
    form.reset();
  });
  return (
    <form class="form card" onSubmit={submit} aria-labelledby="new-bundle-title" novalidate>
      <h3 id="new-bundle-title">New bundle</h3>
      <div class="field">
        <label for="bundle-name">Name</label>
        <input id="bundle-name" name="name" type="text" maxLength={100} required />
      </div>
      <fieldset class="field">
        <legend>Plugins (a version pin is optional, e.g. ^1.2)</legend>
        <For each={props.pluginIds}>
          {(id) => (
            <div class="bundle-plugin">
              <label class="checkbox">
                <input type="checkbox" name="plugin" value={id} /> {id}
              </label>
              <input type="text" name={`pin-${id}`} placeholder="any version" aria-label={`Version pin for ${id}`} maxLength={100} />
            </div>
          )}
        </For>
      </fieldset>
      <FormError error={error()} />
      <button type="submit" class="button primary" disabled={busy()}>
        {busy() ? "Creating…" : "Create bundle"}
      </button>
    </form>
  );
}

function NewClientForm(props: { clients: ClientTenant[]; onCreated: (c: ClientTenant) => void }) {
  const { busy, error, submit } = formAction(async (form, data) => {
    const name = String(data.get("name") ?? "").trim();
    if (!name) return "Give the client workspace a name.";
    const client = await createClient(api, name);
    props.onCreated(client);
    // The new workspace joins the workspace switcher at once.
    setSession(await loadSession(api));
    toast(`Client workspace “${client.name}” created.`, "success");
    form.reset();
  });
  return (
    <form class="form card" onSubmit={submit} aria-labelledby="new-client-title" novalidate>
      <h3 id="new-client-title">Client workspaces</h3>
      <Show when={props.clients.length} fallback={<p class="muted">No clients yet.</p>}>
        <ul class="client-list">
          <For each={props.clients}>{(c) => <li>{c.name}</li>}</For>
        </ul>
      </Show>
      <div class="field">
        <label for="client-name">New client</label>
        <input id="client-name" name="name" type="text" maxLength={200} required />
      </div>
      <FormError error={error()} />
      <button type="submit" class="button" disabled={busy()}>
        {busy() ? "Adding…" : "Add client"}
      </button>
    </form>
  );
}
