import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { kernelError } from "../errors.js";
import type { JobService } from "../jobs/job-service.js";
import { isFinal } from "../jobs/job-store.js";
import type { JobRecord, JobStatus } from "../sdk/context.js";

const STATUSES: JobStatus[] = ["queued", "running", "retrying", "succeeded", "failed", "cancelled"];
const nullable = (type: string) => ({ type: [type, "null"] });

const jobSchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    type: { type: "string" },
    pluginId: { type: "string" },
    status: { type: "string", enum: STATUSES },
    progress: { type: "number" },
    payload: {},
    result: {},
    error: { type: ["object", "null"], properties: { code: { type: "string" }, message: { type: "string" } } },
    attempts: { type: "integer" },
    maxAttempts: { type: "integer" },
    tenantId: { type: "string" },
    userId: nullable("string"),
    assetId: nullable("string"),
    parentId: nullable("string"),
    idempotencyKey: nullable("string"),
    createdAt: { type: "string" },
    runAt: { type: "string" },
    startedAt: nullable("string"),
    finishedAt: nullable("string"),
    updatedAt: { type: "string" },
  },
};

const idParams = { type: "object", required: ["id"], properties: { id: { type: "string", maxLength: 64 } } };
const errorSchema = { type: "object", properties: { error: { type: "object", additionalProperties: true } } };

/** An open `text/event-stream` response: `job` events carry the job record. `open` tracks it until it ends. */
function openEventStream(req: FastifyRequest, reply: FastifyReply, open: Set<() => void>) {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-accel-buffering": "no",
    "x-request-id": req.id,
  });
  res.flushHeaders();
  const closers: (() => void)[] = [];
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    for (const c of closers) c();
  };
  // Comments keep proxies from timing the stream out.
  const ping = setInterval(() => res.write(": ping\n\n"), 15_000);
  ping.unref();
  closers.push(() => clearInterval(ping));
  req.raw.on("close", close);
  res.on("close", close);
  const end = () => {
    close();
    res.end();
  };
  open.add(end);
  closers.push(() => open.delete(end));
  return {
    comment: (text: string) => void (!closed && res.write(`: ${text}\n\n`)),
    send: (job: JobRecord) => void (!closed && res.write(`event: job\nid: ${job.updatedAt}\ndata: ${JSON.stringify(job)}\n\n`)),
    end,
    onClose: (fn: () => void) => closers.push(fn),
  };
}

/**
 * The kernel's job endpoints, all scoped to the caller's tenant (another tenant's job is
 * KERNEL_JOB_NOT_FOUND): list, read, cancel, retry, and Server-Sent Events of updates.
 */
export async function registerJobRoutes(app: FastifyInstance, jobs: JobService) {
  const tags = ["jobs"];
  // Open event streams never end by themselves (the tenant's) or only with their job: end them
  // when the server closes, or closing would wait for them.
  const streams = new Set<() => void>();
  app.addHook("preClose", async () => {
    for (const end of [...streams]) end();
  });
  const found = async (id: string, tenantId: string) => {
    const job = await jobs.get(id, tenantId);
    if (!job) throw kernelError("KERNEL_JOB_NOT_FOUND", `no job ${id} in this tenant`);
    return job;
  };

  app.get<{ Querystring: { status?: string; type?: string; parentId?: string; assetId?: string; limit: number; cursor?: string } }>(
    "/api/jobs",
    {
      schema: {
        tags,
        summary: "The caller's tenant's jobs, newest first; pass nextCursor as cursor for the next page",
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            status: { type: "string", pattern: `^(${STATUSES.join("|")})(,(${STATUSES.join("|")}))*$`, description: "One status or several, comma-separated" },
            type: { type: "string", maxLength: 200 },
            parentId: { type: "string", maxLength: 64 },
            assetId: { type: "string", format: "uuid" },
            limit: { type: "integer", minimum: 1, maximum: 200, default: 50 },
            cursor: { type: "string", maxLength: 64 },
          },
        },
        response: { 200: { type: "object", properties: { jobs: { type: "array", items: jobSchema }, nextCursor: nullable("string") } } },
      },
    },
    async (req) => {
      const q = req.query;
      return jobs.list(req.identity.tenantId, {
        status: q.status ? (q.status.split(",") as JobStatus[]) : undefined,
        type: q.type,
        parentId: q.parentId,
        assetId: q.assetId,
        limit: q.limit,
        after: q.cursor,
      });
    },
  );

  app.get(
    "/api/jobs/events",
    { schema: { tags, summary: "Server-Sent Events: every update of every job of the caller's tenant (event `job`)" } },
    async (req, reply) => {
      await jobs.events.ready();
      const stream = openEventStream(req, reply, streams);
      stream.onClose(jobs.events.onTenant(req.identity.tenantId, stream.send));
      stream.comment("connected");
    },
  );

  app.get<{ Params: { id: string } }>(
    "/api/jobs/:id",
    { schema: { tags, summary: "One job of the caller's tenant", params: idParams, response: { 200: jobSchema, 404: errorSchema } } },
    async (req) => found(req.params.id, req.identity.tenantId),
  );

  app.get<{ Params: { id: string } }>(
    "/api/jobs/:id/events",
    {
      schema: {
        tags,
        summary: "Server-Sent Events of one job: its current state, then each update (event `job`); the stream ends once the job has",
        params: idParams,
      },
    },
    async (req, reply) => {
      const tenantId = req.identity.tenantId;
      await found(req.params.id, tenantId);
      await jobs.events.ready();
      // Listen first, then read the row: no update can fall between the two.
      const early: JobRecord[] = [];
      let forward: ((job: JobRecord) => void) | null = null;
      const off = jobs.events.onJob(req.params.id, (job) => (forward ? forward(job) : early.push(job)));
      const current = await jobs.get(req.params.id, tenantId);
      const stream = openEventStream(req, reply, streams);
      stream.onClose(off);
      if (!current) return stream.end();
      let last = Date.parse(current.updatedAt);
      forward = (job) => {
        // Updates from several processes can arrive out of order: never step back.
        if (job.tenantId !== tenantId || Date.parse(job.updatedAt) < last) return;
        last = Date.parse(job.updatedAt);
        stream.send(job);
        if (isFinal(job.status)) stream.end();
      };
      stream.send(current);
      if (isFinal(current.status)) return stream.end();
      for (const job of early) forward(job);
    },
  );

  app.post<{ Params: { id: string } }>(
    "/api/jobs/:id/cancel",
    {
      schema: {
        tags,
        summary: "Cancels a job (and its children); a running processor sees its signal abort",
        params: idParams,
        response: { 200: jobSchema, 404: errorSchema },
      },
    },
    async (req) => {
      const job = await jobs.cancel(req.params.id, req.identity.tenantId);
      if (!job) throw kernelError("KERNEL_JOB_NOT_FOUND", `no job ${req.params.id} in this tenant`);
      return job;
    },
  );

  app.post<{ Params: { id: string } }>(
    "/api/jobs/:id/retry",
    {
      schema: {
        tags,
        summary: "Runs a failed or cancelled job again from its first attempt (a batch: its failed and cancelled children)",
        params: idParams,
        response: { 200: jobSchema, 404: errorSchema, 409: errorSchema },
      },
    },
    async (req) => {
      const job = await jobs.retry(req.params.id, req.identity.tenantId);
      if (!job) throw kernelError("KERNEL_JOB_NOT_FOUND", `no job ${req.params.id} in this tenant`);
      return job;
    },
  );
}
