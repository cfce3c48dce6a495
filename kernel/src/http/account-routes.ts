import type { FastifyInstance } from "fastify";
import type { AccountData } from "../identity/account-data.js";
import { PASSWORD_MAX } from "../identity/accounts/passwords.js";

const tags = ["account"];

/** GDPR: export one's data (a job with progress) and delete one's account. */
export async function registerAccountRoutes(app: FastifyInstance, data: AccountData) {
  app.post(
    "/api/account/export",
    { schema: { tags, summary: "Start an export of your data (JSON and your files); follow the job for progress" } },
    async (req, reply) => reply.status(202).send({ job: await data.requestExport(req.identity) }),
  );

  app.get<{ Params: { jobId: string } }>(
    "/api/account/exports/:jobId",
    {
      schema: {
        tags,
        summary: "An export's state and, once done, download links (valid for an hour)",
        params: { type: "object", required: ["jobId"], properties: { jobId: { type: "string", format: "uuid" } } },
      },
    },
    async (req) => data.exportLinks(req.identity, req.params.jobId),
  );

  app.post<{ Body: { password: string } }>(
    "/api/account/delete",
    {
      schema: {
        tags,
        summary: "Delete your account: your rows and your own tenants' data go; audit entries stay",
        body: {
          type: "object",
          required: ["password"],
          additionalProperties: false,
          properties: { password: { type: "string", minLength: 1, maxLength: PASSWORD_MAX } },
        },
      },
    },
    async (req) => data.deleteAccount(req.identity, req.body.password),
  );
}
