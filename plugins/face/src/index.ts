import { definePlugin } from "@crealia/kernel/sdk";
import { registerGraphql } from "./graphql.js";
import { maskProviders } from "./mask-provider.js";
import { registerRoutes } from "./routes.js";
import { detectJob } from "./workers/detect.js";
import { retouchJob } from "./workers/retouch.js";

export default definePlugin({
  setup(ctx) {
    registerRoutes(ctx);
    registerGraphql(ctx);
    ctx.jobs.process("face.detect", (job) => detectJob(ctx, job as Parameters<typeof detectJob>[1]));
    ctx.jobs.process("face.retouch", (job) => retouchJob(ctx, job as Parameters<typeof retouchJob>[1]));
    for (const provider of maskProviders(ctx)) ctx.extensions.contribute("filters.mask", provider);
  },
});
