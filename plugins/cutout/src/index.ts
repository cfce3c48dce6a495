import { definePlugin } from "@crealia/kernel/sdk";
import { registerRoutes } from "./routes.js";
import { removeJob } from "./workers/remove.js";

export default definePlugin({
  setup(ctx) {
    registerRoutes(ctx);
    ctx.jobs.process("cutout.remove", (job) => removeJob(ctx, job as Parameters<typeof removeJob>[1]));
  },
});
