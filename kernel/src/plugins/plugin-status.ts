/** Where a plugin ended up in boot → start → stop, and why if it was left out. */
export type PluginState = "starting" | "started" | "failed" | "stopped";
export type PluginPhase = "discover" | "resolve" | "migrate" | "load" | "setup";

export interface PluginStatus {
  id: string;
  version: string;
  /** The manifest's human name and one-line description, for screens that list plugins. */
  name?: string;
  description?: string;
  state: PluginState;
  /** The phase that failed, for a plugin left out. */
  phase?: PluginPhase;
  reason?: string;
  dir?: string;
}
