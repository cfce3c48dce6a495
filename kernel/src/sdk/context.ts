import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Knex } from "knex";
import type { PluginManifest } from "./manifest.js";

/** Who is calling: resolved by the kernel for every request and carried by every job. */
export interface Identity {
  userId: string | null;
  tenantId: string;
  permissions: readonly string[];
}

declare module "fastify" {
  interface FastifyRequest {
    /** The caller, resolved by the kernel before any plugin route runs. */
    identity: Identity;
  }
}

/**
 * The plugin's HTTP scope: a Fastify instance encapsulated under `/api/p/<id>/v<major>/`.
 * Routes registered here answer 404 for tenants that have the plugin disabled.
 */
export type PluginHttp = Pick<
  FastifyInstance,
  | "get"
  | "post"
  | "put"
  | "patch"
  | "delete"
  | "head"
  | "options"
  | "route"
  | "addHook"
  | "register"
  | "addSchema"
  | "decorateRequest"
  | "decorateReply"
  | "setErrorHandler"
  | "addContentTypeParser"
>;

export type GraphQLResolvers = Record<string, Record<string, unknown>>;

export interface PluginGraphQL {
  /**
   * Extends the one schema. New types must start with the plugin's PascalCase id (`Filters…`),
   * fields added to Query/Mutation/Subscription with its camelCase id (`filters…`).
   */
  extend(typeDefs: string, resolvers?: GraphQLResolvers): void;
  /** Publishes to a subscription topic in this plugin's namespace; only subscribers of that tenant receive it. */
  publish(topic: string, payload: unknown, meta: { tenantId: string }): Promise<void>;
  /** A `subscribe` resolver for a topic in this plugin's namespace, scoped to the subscriber's tenant. */
  subscribe(topic: string): (root: unknown, args: unknown, context: { identity?: Identity; pubsub: { subscribe(topic: string): unknown } }) => unknown;
}

export interface PluginDatabase {
  /** The plugin's own Postgres schema (`plugin_<id>`). */
  readonly schema: string;
  /**
   * Runs `fn` in a transaction bound to the plugin's schema and role (it cannot see other
   * plugins' tables) and, when given, to the tenant (row-level security setting `crealia.tenant_id`).
   */
  transaction<T>(fn: (trx: Knex.Transaction) => Promise<T>, options?: { tenantId?: string }): Promise<T>;
}

export interface BlobInfo {
  key: string;
  size: number;
  contentType?: string;
}

/** Blobs under `tenants/<tenant>/plugins/<id>/`; keys given here are relative to that prefix. */
export interface PluginStorage {
  put(tenantId: string, key: string, body: Buffer | Uint8Array | NodeJS.ReadableStream, options?: { contentType?: string }): Promise<BlobInfo>;
  get(tenantId: string, key: string): Promise<NodeJS.ReadableStream>;
  getBuffer(tenantId: string, key: string): Promise<Buffer>;
  exists(tenantId: string, key: string): Promise<boolean>;
  delete(tenantId: string, key: string): Promise<void>;
  list(tenantId: string, prefix?: string): Promise<BlobInfo[]>;
}

export type JobStatus = "queued" | "running" | "retrying" | "succeeded" | "failed" | "cancelled";

export interface JobRecord<P = unknown, R = unknown> {
  id: string;
  type: string;
  pluginId: string;
  status: JobStatus;
  progress: number;
  payload: P;
  result: R | null;
  error: { code: string; message: string } | null;
  attempts: number;
  maxAttempts: number;
  tenantId: string;
  userId: string | null;
  parentId: string | null;
  idempotencyKey: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** What a processor gets for one run of one job. */
export interface JobContext<P = unknown> {
  readonly id: string;
  readonly type: string;
  readonly payload: P;
  readonly tenantId: string;
  readonly userId: string | null;
  /** 1 on the first run. */
  readonly attempt: number;
  /** Aborted when the job is cancelled or the worker shuts down: stop and throw. */
  readonly signal: AbortSignal;
  /** Reports progress, 0..1. Stored on the job row and pushed to watchers. */
  progress(fraction: number): Promise<void>;
  log: PluginLogger;
}

export type JobProcessor<P = unknown, R = unknown> = (job: JobContext<P>) => Promise<R>;

export interface EnqueueOptions {
  tenantId: string;
  userId?: string | null;
  /** The same key for the same type and tenant gives back the existing job. */
  idempotencyKey?: string;
  delayMs?: number;
  maxAttempts?: number;
  parentId?: string;
}

export interface PluginJobs {
  /** Registers the one processor of a job type declared in the manifest (`<id>.<name>`). */
  process<P = unknown, R = unknown>(type: string, processor: JobProcessor<P, R>): void;
  enqueue<P = unknown>(type: string, payload: P, options: EnqueueOptions): Promise<JobRecord<P>>;
  get(jobId: string, tenantId: string): Promise<JobRecord | null>;
  cancel(jobId: string, tenantId: string): Promise<JobRecord | null>;
}

export interface PluginEvents {
  /** Publishes an event declared in the manifest's `events`. */
  publish(type: string, payload: unknown, meta: { tenantId: string }): Promise<void>;
  subscribe(type: string, handler: (payload: unknown, meta: { tenantId: string; source: string }) => void | Promise<void>): () => void;
}

export interface PluginExtensions {
  /** Declares an extension point listed in this plugin's manifest; contributions are read from the handle. */
  declare<T = unknown>(pointId: string): ExtensionPointHandle<T>;
  /** Contributes to another plugin's extension point (listed in `contributes`). */
  contribute<T = unknown>(pointId: string, contribution: T): void;
}

export interface ExtensionPointHandle<T> {
  readonly id: string;
  /** Contributions of started plugins, in start order. Read them when handling work, not in `setup`. */
  contributions(): ReadonlyArray<{ pluginId: string; value: T }>;
}

export interface PluginSettings {
  /** The tenant's settings, validated against the plugin's settings schema, defaults applied. */
  get<T = Record<string, unknown>>(tenantId: string): Promise<T>;
}

export interface PluginLogger {
  debug(msg: string, data?: Record<string, unknown>): void;
  info(msg: string, data?: Record<string, unknown>): void;
  warn(msg: string, data?: Record<string, unknown>): void;
  error(msg: string, data?: Record<string, unknown>): void;
}

export interface PluginMetrics {
  /** Metric names are prefixed `crealia_plugin_<id>_`. */
  counter(name: string, help: string, labelNames?: string[]): { inc(labels?: Record<string, string>, value?: number): void };
  gauge(name: string, help: string, labelNames?: string[]): { set(value: number, labels?: Record<string, string>): void };
  histogram(name: string, help: string, labelNames?: string[]): { observe(value: number, labels?: Record<string, string>): void };
}

export interface PluginLifecycle {
  /** Runs when the kernel stops, in reverse start order. */
  onStop(fn: () => void | Promise<void>): void;
}

/** Everything a plugin may touch. Each capability is scoped to the plugin and checked against its manifest. */
export interface PluginContext {
  readonly manifest: Readonly<PluginManifest>;
  readonly http: PluginHttp;
  readonly graphql: PluginGraphQL;
  readonly db: PluginDatabase;
  readonly storage: PluginStorage;
  readonly jobs: PluginJobs;
  readonly events: PluginEvents;
  readonly extensions: PluginExtensions;
  readonly settings: PluginSettings;
  readonly log: PluginLogger;
  readonly metrics: PluginMetrics;
  readonly lifecycle: PluginLifecycle;
}

export type { FastifyReply, FastifyRequest, Knex };
