import { FormError, formAction } from "../app/form-action.js";
import { api } from "../app/services.js";
import { switchTenant } from "../auth/session.js";

/**
 * Creates a workspace the user owns (`POST /api/tenants`): a plain one, or an agency, which
 * manages client workspaces and the plugin bundles they get (Settings → Plugins). The studio
 * moves into the new workspace.
 */
export function NewWorkspace() {
  const { busy, error, submit } = formAction(async (_form, data) => {
    const name = String(data.get("name") ?? "").trim();
    if (!name) return "Give the workspace a name.";
    const { tenant } = await api.post<{ tenant: { id: string } }>("/api/tenants", { name, kind: data.has("agency") ? "agency" : "tenant" });
    await switchTenant(api, tenant.id);
    window.location.assign("/settings/plugins");
  });
  return (
    <form class="form" onSubmit={submit} aria-labelledby="new-workspace" novalidate>
      <h3 id="new-workspace">New workspace</h3>
      <label>
        Name
        <input name="name" type="text" maxLength={200} required />
      </label>
      <label class="checkbox">
        <input name="agency" type="checkbox" /> An agency: it manages client workspaces and their plugin bundles
      </label>
      <FormError error={error()} />
      <button type="submit" class="button" disabled={busy()}>
        {busy() ? "Creating…" : "Create workspace"}
      </button>
    </form>
  );
}
