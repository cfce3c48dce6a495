import semver from "semver";
import type { DiscoveredPlugin } from "./discovery.js";

export interface ResolutionFailure {
  plugin: DiscoveredPlugin;
  reason: string;
}

export interface Resolution {
  /** Plugins that can start, in dependency order (each after everything it requires). */
  order: DiscoveredPlugin[];
  failed: ResolutionFailure[];
}

/**
 * Decides which plugins can start: SDK range, duplicate ids, required plugins present and in
 * range, no cycles. A failure leaves that plugin out (and whatever requires it), never the rest.
 * Optional dependencies only order the start: present and in range, they start first.
 */
export function resolvePlugins(plugins: DiscoveredPlugin[], sdkVersion: string): Resolution {
  const failed: ResolutionFailure[] = [];
  const fail = (plugin: DiscoveredPlugin, reason: string) => failed.push({ plugin, reason });
  const label = (p: DiscoveredPlugin) => `${p.manifest.id} ${p.manifest.version}`;

  const byId = new Map<string, DiscoveredPlugin[]>();
  for (const p of plugins) byId.set(p.manifest.id, [...(byId.get(p.manifest.id) ?? []), p]);

  const candidates = new Map<string, DiscoveredPlugin>();
  for (const [id, group] of byId) {
    if (group.length > 1) {
      for (const p of group) fail(p, `duplicate plugin id "${id}": found in ${group.map((g) => g.dir).join(" and ")}`);
      continue;
    }
    const p = group[0] as DiscoveredPlugin;
    if (!semver.satisfies(sdkVersion, p.manifest.kernel, { includePrerelease: true })) {
      fail(p, `${label(p)} needs kernel SDK ${p.manifest.kernel}, this kernel has ${sdkVersion}`);
      continue;
    }
    candidates.set(id, p);
  }

  // Drop plugins whose requirements are missing or out of range, until nothing changes:
  // a plugin that requires a left-out plugin is left out too, with the reason.
  let changed = true;
  while (changed) {
    changed = false;
    for (const [id, p] of candidates) {
      for (const [dep, range] of Object.entries(p.manifest.requires ?? {})) {
        const found = candidates.get(dep);
        const reason = !found
          ? byId.has(dep)
            ? `${label(p)} requires ${dep} ${range}, which is left out`
            : `${label(p)} requires ${dep} ${range}, which is not installed`
          : !semver.satisfies(found.manifest.version, range, { includePrerelease: true })
            ? `${label(p)} requires ${dep} ${range}, found ${found.manifest.version}`
            : null;
        if (reason) {
          fail(p, reason);
          candidates.delete(id);
          changed = true;
          break;
        }
      }
    }
  }

  const optionalDeps = (p: DiscoveredPlugin) =>
    Object.entries(p.manifest.optionalRequires ?? {})
      .filter(([dep, range]) => {
        const found = candidates.get(dep);
        return found && semver.satisfies(found.manifest.version, range, { includePrerelease: true });
      })
      .map(([dep]) => dep);

  // Depth-first topological sort; a back edge is a cycle, and every plugin on it is left out.
  const order: DiscoveredPlugin[] = [];
  const state = new Map<string, "visiting" | "done" | "cyclic">();
  const visit = (id: string, stack: string[]): boolean => {
    const s = state.get(id);
    if (s === "done") return true;
    if (s === "cyclic") return false;
    if (s === "visiting") {
      const cycle = [...stack.slice(stack.indexOf(id)), id];
      for (const member of cycle.slice(0, -1)) {
        if (state.get(member) !== "cyclic") {
          state.set(member, "cyclic");
          fail(candidates.get(member) as DiscoveredPlugin, `dependency cycle: ${cycle.join(" → ")}`);
        }
      }
      return false;
    }
    state.set(id, "visiting");
    const p = candidates.get(id) as DiscoveredPlugin;
    let ok = true;
    for (const dep of Object.keys(p.manifest.requires ?? {}).sort()) {
      if (!visit(dep, [...stack, id])) ok = false;
    }
    // An optional dependency that can start goes first; one that cannot is not waited for, and an
    // optional edge that closes a loop only loses its ordering (it is never a cycle failure).
    for (const dep of optionalDeps(p).sort()) if (state.get(dep) !== "visiting") visit(dep, [...stack, id]);
    if (state.get(id) === "cyclic") return false;
    if (!ok) {
      state.set(id, "cyclic");
      fail(p, `${label(p)} depends on a plugin in a dependency cycle`);
      return false;
    }
    state.set(id, "done");
    order.push(p);
    return true;
  };
  for (const id of [...candidates.keys()].sort()) visit(id, []);
  return { order, failed };
}
