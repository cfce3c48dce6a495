import type { ExtensionPointHandle } from "../sdk/context.js";

/** Extension points declared by their owners; contributions from the plugins that list them in `contributes`. */
export class ExtensionRegistry {
  private readonly points = new Map<string, { owner: string; contributions: { pluginId: string; value: unknown }[] }>();

  declare<T>(owner: string, id: string): Omit<ExtensionPointHandle<T>, "contributionsFor"> {
    if (this.points.has(id)) throw new Error(`extension point "${id}" is already declared`);
    const point = { owner, contributions: [] as { pluginId: string; value: unknown }[] };
    this.points.set(id, point);
    return { id, contributions: () => point.contributions as { pluginId: string; value: T }[] };
  }

  has(id: string): boolean {
    return this.points.has(id);
  }

  contribute(pluginId: string, id: string, value: unknown): () => void {
    const point = this.points.get(id);
    if (!point) throw new Error(`extension point "${id}" is not declared by any started plugin`);
    const entry = { pluginId, value };
    point.contributions.push(entry);
    return () => {
      point.contributions = point.contributions.filter((c) => c !== entry);
    };
  }

  /** Removes everything a plugin declared or contributed (it was left out or stopped). */
  removePlugin(pluginId: string) {
    for (const [id, point] of this.points) {
      if (point.owner === pluginId) this.points.delete(id);
      else point.contributions = point.contributions.filter((c) => c.pluginId !== pluginId);
    }
  }
}
