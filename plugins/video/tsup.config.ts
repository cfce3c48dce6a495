import { defineConfig } from "tsup";
import { pluginServerBuild } from "../../scripts/build/plugin-tsup.js";

export default defineConfig(pluginServerBuild(import.meta.dirname));
