export { scaffoldFiles } from "./commands/plugin-new.js";
export { createHost, discover, pluginRoots, stopOnSignals } from "./host.js";
