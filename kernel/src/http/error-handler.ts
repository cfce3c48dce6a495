import type { FastifyError, FastifyInstance } from "fastify";
import { KERNEL_ERRORS } from "../errors.js";
import { isCrealiaError } from "../sdk/errors.js";

/** Every error leaves as `{ error: { code, message, details? } }` with the status its code carries. */
export function installErrorHandling(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (isCrealiaError(err)) {
      if (err.status >= 500) req.log.error({ err }, err.message);
      return reply.status(err.status).send({ error: { code: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }) } });
    }
    if (err.validation) {
      return reply.status(400).send({
        error: {
          code: "KERNEL_VALIDATION",
          message: `${err.validationContext ?? "request"} ${err.validation.map((v) => `${v.instancePath || ""} ${v.message}`.trim()).join("; ")}`,
          details: err.validation,
        },
      });
    }
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) {
      req.log.error({ err }, "unhandled error");
      return reply.status(500).send({ error: { code: "KERNEL_INTERNAL", message: `${KERNEL_ERRORS.KERNEL_INTERNAL.description} (request ${req.id})` } });
    }
    return reply.status(status).send({ error: { code: err.code ?? "KERNEL_REQUEST", message: err.message } });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({ error: { code: "KERNEL_NOT_FOUND", message: `no route ${req.method} ${req.url.split("?")[0]}` } });
  });
}
