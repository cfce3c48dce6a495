/**
 * The filters plugin: non-destructive photo development. Wires the service to the capabilities
 * the kernel hands it; everything else is in service.ts (logic), routes.ts, graphql.ts, render/
 * (the renderer) and store/ (the plugin's own tables).
 */
import { definePlugin } from "@crealia/kernel/sdk";
import { registerGraphQL } from "./graphql.js";
import type { MaskProvider } from "./render/renderer.js";
import { registerRoutes } from "./routes.js";
import { APPLY_JOB, EXPORT_JOB, FiltersService } from "./service.js";
import { videoEffect } from "./video/effect.js";

export type { MaskInput as FiltersMaskInput, MaskProvider as FiltersMaskProvider } from "./render/renderer.js";

export default definePlugin({
  setup(ctx) {
    // Other plugins (face, cutout…) contribute masks for local adjustments here.
    const masks = ctx.extensions.declare<MaskProvider>("filters.mask");
    const service = new FiltersService(ctx, masks);
    registerRoutes(ctx, service);
    registerGraphQL(ctx, service);
    ctx.jobs.process(EXPORT_JOB, service.runExport);
    ctx.jobs.process(APPLY_JOB, service.runApply);
    // Recipes and presets as clip effects for the video plugin, when it runs (an optional dependency).
    ctx.extensions.contribute("video.effect", videoEffect(service));
    ctx.lifecycle.onStop(() => service.renderer.clear());
    // Render threads start in the background so the first preview does not wait for them.
    service.renderer.warm();
  },
});
