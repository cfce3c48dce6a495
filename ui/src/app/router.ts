import { createSignal } from "solid-js";

/**
 * A small history router: the studio has a handful of screens, so a path signal and a
 * matcher beat a dependency. The host answers every client path with index.html.
 */
const [location, setLocation] = createSignal({ path: window.location.pathname, search: window.location.search });

export { location };

window.addEventListener("popstate", () => setLocation({ path: window.location.pathname, search: window.location.search }));

export function navigate(to: string, options: { replace?: boolean } = {}) {
  const url = new URL(to, window.location.origin);
  if (url.pathname === window.location.pathname && url.search === window.location.search) return;
  if (options.replace) window.history.replaceState(null, "", url.pathname + url.search);
  else window.history.pushState(null, "", url.pathname + url.search);
  setLocation({ path: url.pathname, search: url.search });
}

/** Params of `pattern` ("/editor/:id") in `path`, or null when it does not match. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split("/").filter(Boolean);
  const s = path.split("/").filter(Boolean);
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const part = p[i] as string;
    const seg = s[i] as string;
    if (part.startsWith(":")) params[part.slice(1)] = decodeURIComponent(seg);
    else if (part !== seg) return null;
  }
  return params;
}

/** Left-clicks on same-origin links navigate without a reload. */
export function interceptLinks(root: HTMLElement) {
  root.addEventListener("click", (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as HTMLElement).closest("a");
    if (!a || a.target || a.hasAttribute("download")) return;
    const href = a.getAttribute("href");
    if (!href?.startsWith("/") || href.startsWith("/api/") || href.startsWith("/plugins/")) return;
    e.preventDefault();
    navigate(href);
  });
}
