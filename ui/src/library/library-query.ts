import type { AssetKind, AssetQuery } from "../api/types.js";

/** The library's filters, as kept in the address bar (so back/forward and links work). */
export interface LibraryFilters {
  view: "all" | "trash";
  kind?: AssetKind;
  tag?: string;
  project?: string;
  /** Dates as YYYY-MM-DD (the day, in the viewer's time zone). */
  from?: string;
  to?: string;
  q?: string;
}

const KINDS = new Set(["image", "video", "audio"]);
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseFilters(search: string): LibraryFilters {
  const p = new URLSearchParams(search);
  const f: LibraryFilters = { view: p.get("view") === "trash" ? "trash" : "all" };
  const kind = p.get("kind");
  if (kind && KINDS.has(kind)) f.kind = kind as AssetKind;
  const tag = p.get("tag")?.trim().toLowerCase();
  if (tag) f.tag = tag.slice(0, 64);
  const project = p.get("project");
  if (project && UUID.test(project)) f.project = project;
  const from = p.get("from");
  if (from && DAY.test(from)) f.from = from;
  const to = p.get("to");
  if (to && DAY.test(to)) f.to = to;
  const q = p.get("q")?.trim();
  if (q) f.q = q.slice(0, 200);
  return f;
}

export function filtersToSearch(f: LibraryFilters): string {
  const p = new URLSearchParams();
  if (f.view === "trash") p.set("view", "trash");
  for (const key of ["kind", "tag", "project", "from", "to", "q"] as const) {
    const v = f[key];
    if (v) p.set(key, v);
  }
  const s = p.toString();
  return s ? `?${s}` : "";
}

/** Start of a local day as an ISO instant. */
function dayStart(day: string, offsetDays = 0): string {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  return new Date(y, m - 1, d + offsetDays).toISOString();
}

/** The API query for these filters; `to` includes the whole day. */
export function filtersToQuery(f: LibraryFilters): AssetQuery {
  return {
    deleted: f.view === "trash" || undefined,
    kind: f.kind,
    tag: f.tag,
    projectId: f.project,
    from: f.from ? dayStart(f.from) : undefined,
    to: f.to ? dayStart(f.to, 1) : undefined,
    q: f.q,
  };
}

export const hasFilters = (f: LibraryFilters) => Boolean(f.kind || f.tag || f.project || f.from || f.to || f.q);
