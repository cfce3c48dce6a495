import { definePlugin } from "@crealia/kernel/sdk";
import { registerRoutes } from "./routes.js";
import { generateJob } from "./workers/generate.js";
import { styleJob } from "./workers/style.js";
import { upscaleJob } from "./workers/upscale.js";

export default definePlugin({
  setup(ctx) {
    registerRoutes(ctx);
    ctx.jobs.process("upscale.upscale", (job) => upscaleJob(ctx, job as Parameters<typeof upscaleJob>[1]));
    ctx.jobs.process("upscale.generate", (job) => generateJob(ctx, job as Parameters<typeof generateJob>[1]));
    ctx.jobs.process("upscale.style", (job) => styleJob(ctx, job as Parameters<typeof styleJob>[1]));
  },
});
