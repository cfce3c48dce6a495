import { Ajv } from "ajv";
import semver from "semver";
import { manifestSchema, type PluginManifest } from "../sdk/manifest.js";

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validate = ajv.compile(manifestSchema);

/** Checks a manifest's shape (unknown keys are errors) and the rules the schema cannot say. */
export function validateManifest(data: unknown): { manifest: PluginManifest; problems: [] } | { manifest: null; problems: string[] } {
  if (!validate(data)) {
    const problems = (validate.errors ?? []).map((e) => {
      const where = e.instancePath || "manifest";
      if (e.keyword === "additionalProperties") return `${where}: unknown key "${(e.params as { additionalProperty: string }).additionalProperty}"`;
      return `${where} ${e.message}`;
    });
    return { manifest: null, problems };
  }
  const m = data as PluginManifest;
  const problems: string[] = [];
  if (!semver.validRange(m.kernel)) problems.push(`kernel: "${m.kernel}" is not a semver range`);
  for (const [dep, range] of Object.entries(m.requires ?? {})) {
    if (!semver.validRange(range)) problems.push(`requires.${dep}: "${range}" is not a semver range`);
    if (dep === m.id) problems.push(`requires: a plugin cannot require itself`);
  }
  for (const [dep, range] of Object.entries(m.optionalRequires ?? {})) {
    if (!semver.validRange(range)) problems.push(`optionalRequires.${dep}: "${range}" is not a semver range`);
    if (dep === m.id) problems.push(`optionalRequires: a plugin cannot require itself`);
    if (m.requires?.[dep]) problems.push(`optionalRequires: "${dep}" is also in requires; list it in one of them`);
  }
  const own = (kind: string, names: string[]) => {
    for (const name of names) if (!name.startsWith(`${m.id}.`)) problems.push(`${kind}: "${name}" must start with "${m.id}."`);
  };
  own("jobs", Object.keys(m.jobs ?? {}));
  own("extensionPoints", m.extensionPoints ?? []);
  own("events", m.events ?? []);
  own(
    "providesPermissions",
    (m.providesPermissions ?? []).map((p) => p.name),
  );
  for (const point of m.contributes ?? []) {
    const owner = point.split(".")[0] as string;
    if (owner === m.id) problems.push(`contributes: "${point}" is this plugin's own extension point`);
    else if (!m.requires?.[owner] && !m.optionalRequires?.[owner])
      problems.push(`contributes: "${point}" belongs to "${owner}", which must be listed in requires or optionalRequires`);
  }
  const panelIds = new Set<string>();
  for (const panel of m.panels ?? []) {
    if (panelIds.has(panel.id)) problems.push(`panels: duplicate panel id "${panel.id}"`);
    panelIds.add(panel.id);
  }
  return problems.length ? { manifest: null, problems } : { manifest: m, problems: [] };
}
