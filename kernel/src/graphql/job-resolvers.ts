import { kernelError } from "../errors.js";
import type { JobService } from "../jobs/job-service.js";
import type { GraphQLResolvers, Identity, JobRecord, JobStatus } from "../sdk/context.js";

interface Ctx {
  identity?: Identity;
  pubsub: { subscribe(topic: string): unknown };
}

/**
 * Subscription topic of one job's updates, or of all of a tenant's. `@kernel` cannot be a plugin
 * id, so no plugin's topic (`<tenant>:<plugin>:<topic>`) can collide with these.
 */
export const jobTopic = (tenantId: string, jobId?: string) => (jobId ? `${tenantId}:@kernel:job:${jobId}` : `${tenantId}:@kernel:jobs`);

function tenantOf(ctx: Ctx): string {
  if (!ctx.identity) throw kernelError("KERNEL_UNAUTHENTICATED", "sign in first");
  return ctx.identity.tenantId;
}

/** Resolvers of the kernel's Job fields (see BASE_TYPE_DEFS): everything scoped to the caller's tenant. */
export function jobResolvers(jobs: JobService): GraphQLResolvers {
  return {
    Query: {
      job: (_r: unknown, args: { id: string }, ctx: Ctx) => jobs.get(args.id, tenantOf(ctx)),
      jobs: (
        _r: unknown,
        args: {
          status?: JobStatus[] | null;
          type?: string | null;
          parentId?: string | null;
          assetId?: string | null;
          first?: number | null;
          after?: string | null;
        },
        ctx: Ctx,
      ) =>
        jobs.list(tenantOf(ctx), {
          status: args.status ?? undefined,
          type: args.type ?? undefined,
          parentId: args.parentId ?? undefined,
          assetId: args.assetId ?? undefined,
          limit: Math.min(200, Math.max(1, args.first ?? 50)),
          after: args.after ?? undefined,
        }),
    },
    Mutation: {
      cancelJob: (_r: unknown, args: { id: string }, ctx: Ctx) => jobs.cancel(args.id, tenantOf(ctx)),
      retryJob: (_r: unknown, args: { id: string }, ctx: Ctx) => jobs.retry(args.id, tenantOf(ctx)),
    },
    Subscription: {
      jobUpdated: {
        subscribe: async (_r: unknown, args: { id?: string | null }, ctx: Ctx) => {
          const tenantId = tenantOf(ctx);
          if (args.id && !(await jobs.get(args.id, tenantId))) throw kernelError("KERNEL_JOB_NOT_FOUND", `no job ${args.id} in this tenant`);
          return ctx.pubsub.subscribe(jobTopic(tenantId, args.id ?? undefined));
        },
      },
    },
  };
}

/** Forwards every job update to the GraphQL subscription topics of its job and of its tenant. */
export function publishJobUpdates(jobs: JobService, publish: (topic: string, payload: unknown) => unknown): () => void {
  return jobs.onUpdate((job: JobRecord) => {
    const payload = { jobUpdated: job };
    for (const topic of [jobTopic(job.tenantId, job.id), jobTopic(job.tenantId)]) {
      Promise.resolve()
        .then(() => publish(topic, payload))
        .catch(() => {});
    }
  });
}
