import { For, Show } from "solid-js";
import { api, session, setThemeChoice, type ThemeChoice, themeChoice } from "../app/services.js";
import { describeCombo } from "../app/shortcut-keys.js";
import { isMac, shortcutList } from "../app/shortcuts.js";
import { toastError } from "../app/toasts.js";
import { signOut } from "../auth/session.js";
import { NewWorkspace } from "./NewWorkspace.js";

/** Appearance, account and the shortcuts of the studio. */
export default function Settings() {
  const choices: { value: ThemeChoice; label: string }[] = [
    { value: "system", label: "Same as the system" },
    { value: "light", label: "Light" },
    { value: "dark", label: "Dark" },
  ];
  return (
    <div class="page narrow">
      <header class="page-header">
        <h1>Settings</h1>
      </header>
      <section class="card" aria-labelledby="appearance">
        <h2 id="appearance">Appearance</h2>
        <fieldset class="radio-group">
          <legend>Theme</legend>
          <For each={choices}>
            {(c) => (
              <label class="radio">
                <input type="radio" name="theme" value={c.value} checked={themeChoice() === c.value} onChange={() => setThemeChoice(c.value)} /> {c.label}
              </label>
            )}
          </For>
        </fieldset>
      </section>
      <section class="card" aria-labelledby="account">
        <h2 id="account">Account</h2>
        <Show
          when={session().mode === "accounts"}
          fallback={
            <p>
              This server runs in <strong>local mode</strong>: one user, no sign-in, everything belongs to the default workspace. Accounts, teams and workspaces
              appear here once the server is set up with identity.
            </p>
          }
        >
          <p>
            Signed in as <strong>{session().user?.email}</strong>
          </p>
          <button
            type="button"
            class="button"
            onClick={async () => {
              try {
                await signOut(api);
                window.location.assign("/signin");
              } catch (err) {
                toastError("Couldn't sign out", err);
              }
            }}
          >
            Sign out
          </button>
          <NewWorkspace />
        </Show>
        <p>
          <a href="/settings/plugins">Plugins of this workspace</a>
        </p>
      </section>
      <section class="card" aria-labelledby="keys">
        <h2 id="keys">Keyboard shortcuts</h2>
        <p class="muted">Press ? anywhere to see the shortcuts of the screen you're on.</p>
        <dl class="shortcut-list">
          <For each={shortcutList()}>
            {(s) => (
              <div class="shortcut-row">
                <dt>
                  <kbd>{describeCombo(s.combo, isMac)}</kbd>
                </dt>
                <dd>{s.description}</dd>
              </div>
            )}
          </For>
        </dl>
      </section>
    </div>
  );
}
