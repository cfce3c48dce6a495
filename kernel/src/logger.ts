import pino, { type Logger } from "pino";
import type { PluginLogger } from "./sdk/context.js";

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: "crealia" } });
}

/** Adapts pino to the SDK's logger shape (message first, then data), bound to one plugin. */
export function pluginLogger(logger: Logger): PluginLogger {
  return {
    debug: (msg, data) => logger.debug(data ?? {}, msg),
    info: (msg, data) => logger.info(data ?? {}, msg),
    warn: (msg, data) => logger.warn(data ?? {}, msg),
    error: (msg, data) => logger.error(data ?? {}, msg),
  };
}
