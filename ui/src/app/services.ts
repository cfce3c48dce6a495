import { createSignal } from "solid-js";
import { ActivityTracker } from "../api/activity.js";
import { ApiClient } from "../api/client.js";
import type { Asset, PanelDescriptor } from "../api/types.js";
import { CSRF_COOKIE, LOCAL_SESSION, readCookie, refreshSession, type Session } from "../auth/session.js";

/** Requests in flight, and whether one has been pending over 300 ms (the top progress bar). */
const [activity, setActivity] = createSignal({ pending: 0, slow: false });

export { activity };

const tracker = new ActivityTracker(setActivity);

const [session, setSession] = createSignal<Session>(LOCAL_SESSION);

export { session, setSession };

/** Set when a request answered 401: the shell then shows sign-in. */
const [signedOut, setSignedOut] = createSignal(false);

export { setSignedOut, signedOut };

export const api: ApiClient = new ApiClient({
  onRequest: () => tracker.begin(),
  onUnauthenticated: () => {
    if (session().mode === "accounts") setSignedOut(true);
  },
  csrfToken: () => readCookie(CSRF_COOKIE),
  refresh: (): Promise<boolean> => (session().mode === "accounts" ? refreshSession(api) : Promise.resolve(false)),
});

/** The asset in focus (open in the editor, or alone in the library selection) and the library selection: what panels observe. */
const [focusAsset, setFocusAsset] = createSignal<Asset | null>(null);
const [selection, setSelection] = createSignal<string[]>([]);

export { focusAsset, selection, setFocusAsset, setSelection };

/** The panel registry of the caller's tenant. */
const [panels, setPanels] = createSignal<PanelDescriptor[]>([]);
const [panelsError, setPanelsError] = createSignal<string | null>(null);

export { panels, panelsError };

export async function refreshPanels() {
  try {
    const { panels: list } = await api.panels();
    setPanels(list);
    setPanelsError(null);
  } catch (err) {
    setPanelsError((err as Error).message);
  }
}

export const panelsIn = (slot: PanelDescriptor["slot"]) => panels().filter((p) => p.slot === slot);

/** Theme: the saved choice, else the system's; applied to <html data-theme>. */
export type ThemeChoice = "system" | "light" | "dark";
const systemDark = window.matchMedia?.("(prefers-color-scheme: dark)");
const saved = (() => {
  try {
    return localStorage.getItem("crealia.theme");
  } catch {
    return null;
  }
})();
const [themeChoice, setThemeChoiceSignal] = createSignal<ThemeChoice>(saved === "light" || saved === "dark" ? saved : "system");
const [systemIsDark, setSystemIsDark] = createSignal(Boolean(systemDark?.matches));
systemDark?.addEventListener?.("change", (e) => setSystemIsDark(e.matches));

export { themeChoice };
export const theme = () => {
  const c = themeChoice();
  return c === "system" ? (systemIsDark() ? "dark" : "light") : c;
};
export function setThemeChoice(choice: ThemeChoice) {
  setThemeChoiceSignal(choice);
  try {
    if (choice === "system") localStorage.removeItem("crealia.theme");
    else localStorage.setItem("crealia.theme", choice);
  } catch {
    // private mode: the choice lasts for this visit
  }
}
export function toggleTheme() {
  setThemeChoice(theme() === "dark" ? "light" : "dark");
}
