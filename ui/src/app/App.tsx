import { createEffect, createMemo, createSignal, For, lazy, Match, onMount, Show, Suspense, Switch } from "solid-js";
import { Dynamic } from "solid-js/web";
import { messageOf } from "../api/errors.js";
import { loadSession, switchTenant } from "../auth/session.js";
import { JobsTray } from "../jobs/JobsTray.js";
import { traySummary } from "../jobs/job-text.js";
import { connectJobs, jobs } from "../jobs/jobs-store.js";
import { Icon } from "./Icon.js";
import { interceptLinks, location, matchPath, navigate } from "./router.js";
import { ShortcutsDialog } from "./ShortcutsDialog.js";
import {
  activity,
  api,
  focusAsset,
  panels,
  panelsError,
  panelsIn,
  refreshPanels,
  session,
  setSession,
  setSignedOut,
  signedOut,
  theme,
  toggleTheme,
} from "./services.js";
import { useShortcuts } from "./shortcuts.js";
import { Toasts } from "./Toasts.js";
import { toastError } from "./toasts.js";

// Screens load when first opened: the shell stays small.
const Library = lazy(() => import("../library/Library.js"));
const Editor = lazy(() => import("../editor/Editor.js"));
const PluginManager = lazy(() => import("../plugins/PluginManager.js"));
const Settings = lazy(() => import("../settings/Settings.js"));
const PanelPage = lazy(() => import("../panels/PanelPage.js"));
const Dashboard = lazy(() => import("../panels/Dashboard.js"));
const SignIn = lazy(() => import("../auth/SignIn.js"));

export function App() {
  let root!: HTMLDivElement;
  let main!: HTMLElement;
  const [booted, setBooted] = createSignal(false);
  const [bootError, setBootError] = createSignal<string | null>(null);
  const [trayOpen, setTrayOpen] = createSignal(false);
  const [navOpen, setNavOpen] = createSignal(false);
  const [helpOpen, setHelpOpen] = createSignal(false);

  const boot = async () => {
    setBootError(null);
    try {
      setSession(await loadSession(api));
      const s = session();
      if (s.mode === "accounts" && !s.user) setSignedOut(true);
      else {
        setSignedOut(false);
        await refreshPanels();
        connectJobs();
      }
      setBooted(true);
    } catch (err) {
      setBootError(messageOf(err));
    }
  };

  onMount(() => {
    interceptLinks(root);
    void boot();
  });

  createEffect(() => {
    document.documentElement.dataset.theme = theme();
  });

  // Move focus to the new screen for keyboard and screen-reader users.
  createEffect((prev: string | undefined) => {
    const path = location().path;
    if (prev !== undefined && prev !== path) {
      setNavOpen(false);
      queueMicrotask(() => main?.focus({ preventScroll: true }));
    }
    return path;
  });

  useShortcuts([
    { combo: "?", description: "Show keyboard shortcuts", group: "Global", run: () => setHelpOpen(true) },
    { combo: "g", description: "Go to the library", group: "Global", run: () => navigate("/library") },
    { combo: "j", description: "Open or close the jobs tray", group: "Global", run: () => setTrayOpen((o) => !o) },
    { combo: "shift+t", description: "Switch light/dark theme", group: "Global", run: () => toggleTheme() },
    {
      combo: "escape",
      description: "Close the open dialog or tray",
      group: "Global",
      run: () => {
        if (helpOpen()) setHelpOpen(false);
        else if (trayOpen()) setTrayOpen(false);
        else setNavOpen(false);
      },
    },
  ]);

  const summary = createMemo(() => traySummary(jobs()));
  const pagePanels = createMemo(() => panelsIn("page"));
  const hasWidgets = createMemo(() => panelsIn("dashboard.widget").length > 0);

  const route = createMemo(() => {
    const { path } = location();
    if (path === "/" || path === "/index.html") return { screen: "home" as const };
    if (path === "/library") return { screen: "library" as const };
    let m = matchPath("/editor/:id", path);
    if (m) return { screen: "editor" as const, id: m.id as string };
    if (path === "/settings") return { screen: "settings" as const };
    if (path === "/settings/plugins") return { screen: "plugins" as const };
    if (path === "/dashboard") return { screen: "dashboard" as const };
    if (path === "/signin" || path === "/signup") return { screen: "signin" as const };
    m = matchPath("/p/:plugin/:panel", path);
    if (m) return { screen: "panel" as const, plugin: m.plugin as string, panel: m.panel as string };
    return { screen: "missing" as const };
  });

  createEffect(() => {
    if (route().screen === "home") navigate(hasWidgets() ? "/dashboard" : "/library", { replace: true });
  });

  const current = (href: string) => {
    const { path } = location();
    // Trash is a view of the library (its entry is in the library's collections list, not here).
    return path === href || (href.startsWith("/editor/") && path.startsWith("/editor/")) ? "page" : undefined;
  };

  const NavLink = (props: { href: string; icon: string; label: string }) => (
    <a class="nav-link" href={props.href} aria-current={current(props.href)} title={props.label}>
      <Icon name={props.icon} />
      <span class="nav-label">{props.label}</span>
    </a>
  );

  const showSignIn = () => signedOut() || route().screen === "signin";

  return (
    <div ref={root} class="app" classList={{ "nav-open": navOpen(), "tray-open": trayOpen(), "signed-out": booted() && showSignIn() }}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <div class="activity-bar" classList={{ on: activity().slow }} role="progressbar" aria-label="Working" aria-hidden={!activity().slow} />
      <header class="topbar">
        <button
          type="button"
          class="icon-button nav-toggle"
          aria-label="Menu"
          aria-expanded={navOpen()}
          aria-controls="sidenav"
          onClick={() => setNavOpen((o) => !o)}
        >
          <Icon name="menu" />
        </button>
        <a class="brand" href="/library" aria-label="Crealia, go to the library">
          <span class="brand-mark" aria-hidden="true" />
          Crealia
        </a>
        <Show when={session().tenants.length > 1}>
          <label class="tenant-switcher">
            <span class="visually-hidden">Workspace</span>
            <select
              aria-label="Workspace"
              value={session().tenantId ?? ""}
              onChange={async (e) => {
                try {
                  await switchTenant(api, e.currentTarget.value);
                  window.location.reload();
                } catch (err) {
                  toastError("Couldn't switch workspace", err);
                }
              }}
            >
              <For each={session().tenants}>{(t) => <option value={t.id}>{t.name}</option>}</For>
            </select>
          </label>
        </Show>
        <div class="topbar-spacer" />
        <button
          type="button"
          class="tray-button"
          classList={{ busy: summary().active > 0, failed: summary().failed > 0 }}
          aria-expanded={trayOpen()}
          aria-controls="jobs-tray"
          onClick={() => setTrayOpen((o) => !o)}
          title="Jobs (J)"
        >
          <Icon name="jobs" />
          <span>Jobs</span>
          <Show when={summary().text}>
            <span class="badge" aria-live="polite">
              {summary().text}
            </span>
          </Show>
        </button>
        <button
          type="button"
          class="icon-button"
          onClick={toggleTheme}
          aria-label={theme() === "dark" ? "Switch to light theme" : "Switch to dark theme"}
          title="Theme (Shift+T)"
        >
          <Icon name={theme() === "dark" ? "sun" : "moon"} />
        </button>
        <button type="button" class="icon-button" onClick={() => setHelpOpen(true)} aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)">
          <Icon name="keyboard" />
        </button>
        <a class="account" href="/settings" title={session().mode === "local" ? "Local mode: single user, no sign-in" : (session().user?.email ?? "Account")}>
          <Icon name="user" />
          <span class="account-label">{session().mode === "local" ? "Local mode" : (session().user?.name ?? session().user?.email ?? "Account")}</span>
        </a>
      </header>

      <nav id="sidenav" class="sidenav" aria-label="Studio">
        <Show when={hasWidgets()}>
          <NavLink href="/dashboard" icon="dashboard" label="Dashboard" />
        </Show>
        <NavLink href="/library" icon="library" label="Library" />
        <Show when={focusAsset()}>{(a) => <NavLink href={`/editor/${a().id}`} icon="editor" label="Editor" />}</Show>
        <Show when={pagePanels().length}>
          <div class="nav-section" role="presentation">
            Plugins
          </div>
          <For each={pagePanels()}>{(p) => <NavLink href={`/p/${p.plugin}/${p.id}`} icon={p.icon ?? "page"} label={p.title} />}</For>
        </Show>
        <div class="nav-bottom">
          <NavLink href="/settings/plugins" icon="plugins" label="Plugins" />
          <NavLink href="/settings" icon="settings" label="Settings" />
        </div>
      </nav>
      <div class="nav-scrim" aria-hidden="true" onClick={() => setNavOpen(false)} />

      <main id="main" ref={main} tabindex="-1" class="main">
        <Show when={bootError()}>
          <div class="empty-state" role="alert">
            <Icon name="alert" size={32} />
            <h1>The studio couldn't start</h1>
            <p>{bootError()}</p>
            <button type="button" class="button primary" onClick={() => void boot()}>
              Try again
            </button>
          </div>
        </Show>
        <Show when={!booted() && !bootError()}>
          <div class="empty-state" role="status">
            <span class="spinner large" aria-hidden="true" />
            <p>Opening the studio…</p>
          </div>
        </Show>
        <Show when={panelsError()}>
          <div class="notice error" role="alert">
            Plugin panels couldn't be listed: {panelsError()}{" "}
            <button type="button" class="link-button" onClick={() => void refreshPanels()}>
              Retry
            </button>
          </div>
        </Show>
        <Show when={booted()}>
          <Suspense
            fallback={
              <div class="empty-state" role="status">
                <span class="spinner large" aria-hidden="true" />
                <p>Loading…</p>
              </div>
            }
          >
            <Switch>
              <Match when={showSignIn()}>
                <SignIn onSignedIn={() => void boot()} />
              </Match>
              <Match when={route().screen === "library"}>
                <Library />
              </Match>
              <Match when={route().screen === "editor" && route()}>{(r) => <Dynamic component={Editor} assetId={(r() as { id: string }).id} />}</Match>
              <Match when={route().screen === "settings"}>
                <Settings />
              </Match>
              <Match when={route().screen === "plugins"}>
                <PluginManager />
              </Match>
              <Match when={route().screen === "dashboard"}>
                <Dashboard />
              </Match>
              <Match when={route().screen === "panel" && route()}>
                {(r) => {
                  const p = r() as { plugin: string; panel: string };
                  return <PanelPage plugin={p.plugin} panel={p.panel} known={panels()} />;
                }}
              </Match>
              <Match when={route().screen === "missing"}>
                <div class="empty-state">
                  <h1>Nothing here</h1>
                  <p>This address doesn't lead to a screen of the studio.</p>
                  <a class="button primary" href="/library">
                    Go to the library
                  </a>
                </div>
              </Match>
            </Switch>
          </Suspense>
        </Show>
      </main>

      <JobsTray open={trayOpen()} onClose={() => setTrayOpen(false)} />
      <ShortcutsDialog open={helpOpen()} onClose={() => setHelpOpen(false)} />
      <Toasts />
    </div>
  );
}
