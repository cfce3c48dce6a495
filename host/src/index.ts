export { createHost, discover, pluginRoots, stopOnSignals } from "./host.js";
export { scaffoldFiles } from "./commands/plugin-new.js";
