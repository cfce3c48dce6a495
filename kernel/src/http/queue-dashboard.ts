import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { FastifyAdapter } from "@bull-board/fastify";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { kernelError } from "../errors.js";
import type { BullMqTransport } from "../jobs/bullmq-transport.js";
import type { Identity } from "../sdk/context.js";

export const QUEUE_DASHBOARD_PATH = "/admin/queues";

/**
 * The BullMQ queue dashboard (bull-board) at /admin/queues, one queue per job type. Only where
 * Redis carries the jobs, and only for admins: for now identities holding the "*" permission
 * (the single-user local mode's owner), until roles give admins a permission of their own.
 */
export async function registerQueueDashboard(
  app: FastifyInstance,
  transport: BullMqTransport,
  queueNames: string[],
  identify: (req: FastifyRequest) => Promise<Identity | null>,
) {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: queueNames.map((name) => new BullMQAdapter(transport.queue(name))),
    // @bull-board/fastify 9.10.1 pins its own copy of @bull-board/api: same shape, separate declarations.
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]["serverAdapter"],
  });
  await app.register(
    async (scope) => {
      scope.addHook("onRoute", (route) => {
        const schema = (route.schema ??= {}) as { hide?: boolean };
        schema.hide = true;
      });
      // Answered here rather than thrown: bull-board's routes have an error handler of their own.
      scope.addHook("onRequest", async (req, reply) => {
        const who = await identify(req);
        const refusal = !who
          ? kernelError("KERNEL_UNAUTHENTICATED", "sign in first")
          : !who.permissions.includes("*")
            ? kernelError("KERNEL_FORBIDDEN", "the queue dashboard is for administrators")
            : null;
        if (refusal) return reply.status(refusal.status).send({ error: { code: refusal.code, message: refusal.message } });
      });
      await scope.register(serverAdapter.registerPlugin());
    },
    { prefix: QUEUE_DASHBOARD_PATH },
  );
}
