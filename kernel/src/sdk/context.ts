import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Knex } from "knex";
import type { PluginManifest } from "./manifest.js";
import type { ModelManifest } from "./model-manifest.js";

/** Who is calling: resolved by the kernel for every request and carried by every job. */
export interface Identity {
  userId: string | null;
  tenantId: string;
  permissions: readonly string[];
  /** How the caller proved who they are: single-user local mode, a session's access token, an API key, or the test harness. */
  via?: "local" | "session" | "api-key" | "test";
  /** The session id (`via: "session"`) or API key id (`via: "api-key"`). */
  credentialId?: string;
}

declare module "fastify" {
  interface FastifyRequest {
    /** The caller, resolved by the kernel before any plugin route runs. */
    identity: Identity;
  }
  interface FastifyContextConfig {
    /** Permission(s) the caller needs for this route; the kernel answers 403 (`KERNEL_FORBIDDEN`) without them. */
    permission?: string | string[];
    /** Kernel routes only: answered without an identity (sign-in, JWKS, OAuth callback). Ignored on plugin routes. */
    public?: boolean;
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

/**
 * `failed` is the dead-letter state: the job used up its attempts (or threw a non-retryable
 * error) and runs again only when retried explicitly.
 */
export type JobStatus = "queued" | "running" | "retrying" | "succeeded" | "failed" | "cancelled";

/** The job type of a batch parent made by `enqueueBatch`: it has no processor of its own. */
export const BATCH_JOB_TYPE = "kernel.batch";

export interface JobRecord<P = unknown, R = unknown> {
  id: string;
  type: string;
  pluginId: string;
  status: JobStatus;
  /** 0..1; for a batch parent, the mean over its children (a finished child counts as 1). */
  progress: number;
  payload: P;
  result: R | null;
  error: { code: string; message: string } | null;
  /** Attempts started so far (a retry and a run taken over from a dead worker each count one). */
  attempts: number;
  maxAttempts: number;
  tenantId: string;
  userId: string | null;
  assetId: string | null;
  parentId: string | null;
  idempotencyKey: string | null;
  createdAt: string;
  /** When the job (or its next attempt) may start. */
  runAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
}

/** What a batch parent's `result` holds once every child has ended. */
export interface BatchResult {
  total: number;
  succeeded: number;
  failed: number;
  cancelled: number;
}

/** What a processor gets for one run of one job. */
export interface JobContext<P = unknown> {
  readonly id: string;
  readonly type: string;
  readonly payload: P;
  readonly tenantId: string;
  readonly userId: string | null;
  readonly assetId: string | null;
  readonly parentId: string | null;
  /** 1 on the first run. */
  readonly attempt: number;
  /**
   * Aborted when the job is cancelled (from any process: the cancel reaches the worker over
   * Redis, or through the job's lease at the latest) or the worker shuts down: stop and throw.
   */
  readonly signal: AbortSignal;
  /**
   * Reports progress, 0..1. Pushed to watchers; written to the job row at most every 100 ms
   * (the last value always lands). Cheap to call often.
   */
  progress(fraction: number): Promise<void>;
  log: PluginLogger;
}

export type JobProcessor<P = unknown, R = unknown> = (job: JobContext<P>) => Promise<R>;

export interface EnqueueOptions {
  tenantId: string;
  userId?: string | null;
  /** The asset the job works on, if any (listed and filtered by it). */
  assetId?: string | null;
  /** The same key for the same type and tenant gives back the existing job. */
  idempotencyKey?: string;
  delayMs?: number;
  maxAttempts?: number;
  /** A job of the same tenant this one belongs to. Cancelling the parent cancels it; a batch parent (see `enqueueBatch`) counts it. */
  parentId?: string;
}

export interface BatchOptions extends Omit<EnqueueOptions, "parentId" | "idempotencyKey"> {
  /** Makes the batch idempotent: the parent gets this key, child `i` the key `<key>/<i>`. */
  idempotencyKey?: string;
}

export interface ScheduleOptions {
  tenantId: string;
  /** Names the schedule within its type and tenant: scheduling the same key again replaces it. */
  key: string;
  userId?: string | null;
  /** IANA time zone the cron expression is read in; UTC when absent. */
  timezone?: string;
  maxAttempts?: number;
}

/** A repeating job: every occurrence of `cron` enqueues one job of `type` with `payload`. */
export interface JobSchedule<P = unknown> {
  id: string;
  type: string;
  key: string;
  cron: string;
  timezone: string | null;
  payload: P;
  tenantId: string;
  nextRunAt: string;
  lastRunAt: string | null;
}

export interface PluginJobs {
  /** Registers the one processor of a job type declared in the manifest (`<id>.<name>`). */
  process<P = unknown, R = unknown>(type: string, processor: JobProcessor<P, R>): void;
  enqueue<P = unknown>(type: string, payload: P, options: EnqueueOptions): Promise<JobRecord<P>>;
  /**
   * Enqueues one job of `type` per payload under one parent job of type `kernel.batch`. The
   * parent's progress is the mean of its children's; it succeeds once every child has ended,
   * with a `BatchResult` (a failing child does not fail the others); cancelling it cancels them.
   */
  enqueueBatch<P = unknown>(
    type: string,
    payloads: P[],
    options: BatchOptions,
  ): Promise<{ parent: JobRecord<{ type: string; total: number }, BatchResult>; children: JobRecord<P>[] }>;
  get(jobId: string, tenantId: string): Promise<JobRecord | null>;
  cancel(jobId: string, tenantId: string): Promise<JobRecord | null>;
  /** Runs a failed or cancelled job again from its first attempt; for a batch, its failed and cancelled children. */
  retry(jobId: string, tenantId: string): Promise<JobRecord | null>;
  /**
   * Creates or replaces the schedule `options.key` of `type`: a cron expression (5 fields, or 6
   * with seconds first). Each occurrence enqueues one job; an occurrence missed while no worker
   * ran is enqueued once when one starts.
   */
  schedule<P = unknown>(type: string, cron: string, payload: P, options: ScheduleOptions): Promise<JobSchedule<P>>;
  /** Removes a schedule; true when there was one. Jobs it already enqueued are kept. */
  unschedule(type: string, key: string, tenantId: string): Promise<boolean>;
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
  /** The same, less those of plugins the tenant has not enabled: what to offer and use in that tenant's requests and jobs. */
  contributionsFor(tenantId: string): Promise<ReadonlyArray<{ pluginId: string; value: T }>>;
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

/** A tensor given to or returned by a model. ONNX Runtime's `Tensor` has this shape, and so does a plain object. */
export interface ModelTensor {
  /** Element type: `float32`, `int64`, `uint8`, … (the manifest's `dtype`). */
  readonly type: string;
  readonly data: Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;
  readonly dims: readonly number[];
}

export type ModelFeeds = Record<string, ModelTensor>;

export interface ModelRunOptions {
  /** GPU memory to lease, in MiB. Default: the job type's `gpuMemoryMb` when `jobType` is given, else the model's `memoryMb`. */
  memoryMb?: number;
  /** The job type (one of this plugin's) the work is for: its `gpuMemoryMb` applies, and the CPU fallback is logged once per job type. */
  jobType?: string;
  /** `cpu` keeps the work on the CPU. `auto` (default) uses a GPU when the plugin has `gpu.use` and a GPU can hold the model. */
  device?: "auto" | "cpu";
  /** Stops waiting for a device when aborted (pass `job.signal`). */
  signal?: AbortSignal;
}

export interface ModelRunResult {
  outputs: Record<string, ModelTensor>;
  /** Where it ran: `cpu` or `cuda:<index>`. */
  device: string;
  /** Why it ran on the CPU although it asked for GPU memory (put it in the job's result); null otherwise. */
  fallback: string | null;
  /** How many requests shared the model call (1 unless the model is micro-batched). */
  batchSize: number;
}

/** A model session held on one device until `release()`: for several runs in one job. */
export interface ModelSession {
  readonly modelId: string;
  readonly device: string;
  readonly fallback: string | null;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: ModelFeeds): Promise<Record<string, ModelTensor>>;
  /** Gives the device back. The session stays warm for the next caller. */
  release(): void;
}

/**
 * Models from the installation's registry (`models/manifests`), verified by sha256 on load and
 * never downloaded at run time. GPUs need the `gpu.use` permission; without it models run on the CPU.
 */
export interface PluginModels {
  /** The manifest of a model; `KERNEL_MODEL_NOT_FOUND` when there is none. */
  get(modelId: string): ModelManifest;
  list(): ModelManifest[];
  /** Whether the model's file is in the cache and matches its sha256. */
  status(modelId: string): Promise<"installed" | "missing" | "corrupt">;
  /**
   * Refuses early, before a job is queued, when the model was never fetched: `KERNEL_MODEL_NOT_INSTALLED`
   * (409) with `details.modelId` and `details.fetch`, the command an operator runs. A damaged file
   * passes here and fails where it is loaded, so the job that met it says so.
   */
  require(modelId: string): Promise<void>;
  /**
   * Leases a device, runs the model once (micro-batched with concurrent calls when its manifest allows) and gives the device back.
   * A file missing or failing its sha256 at load throws `KERNEL_MODEL_NOT_INSTALLED` / `KERNEL_MODEL_CHECKSUM`
   * with the message `model "<id>" failed verification: …`, marked not retryable (only a fetch fixes it).
   */
  run(modelId: string, feeds: ModelFeeds, options?: ModelRunOptions): Promise<ModelRunResult>;
  /** Leases a device and holds a warm session on it until `release()`. */
  session(modelId: string, options?: ModelRunOptions): Promise<ModelSession>;
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
  readonly models: PluginModels;
  /** The tenant's photos, videos and audio: read versions, add edited versions, create new assets. */
  readonly assets: PluginAssets;
  /** Per-tenant secrets of this plugin (API keys of outside services…), encrypted at rest, never sent to clients. */
  readonly secrets: PluginSecrets;
  /** OAuth2 connections of tenants to outside accounts, tokens kept by the kernel. */
  readonly oauth: PluginOAuth;
}

/** The facts of an asset's current version that plugins work from. */
export interface AssetInfo {
  id: string;
  kind: "image" | "video" | "audio";
  name: string;
  status: "processing" | "ready" | "failed";
  currentVersion: number;
  mime: string | null;
  width: number | null;
  height: number | null;
  durationMs: number | null;
  tags: string[];
  /** Derivative files of the current version (`thumb-256.webp`, `proxy.mp4`, `poster.jpg`, …). */
  files: string[];
  metadata: Record<string, unknown>;
}

export interface PluginAssets {
  /** Needs "asset.read". Null when the tenant has no such asset (or it is in the trash). */
  get(tenantId: string, assetId: string): Promise<AssetInfo | null>;
  /** Needs "asset.read". The original (default) or a derivative of a version (default: current). */
  open(
    tenantId: string,
    assetId: string,
    options?: { version?: number; file?: string },
  ): Promise<{ stream: NodeJS.ReadableStream; mime: string; size: number }>;
  /**
   * Needs "asset.write". Stores an edit as a new version (the original and earlier versions stay);
   * `file` is a path or the bytes. The version becomes current once its ingest job finishes.
   */
  addVersion(
    tenantId: string,
    assetId: string,
    file: string | Buffer,
    options?: {
      userId?: string | null;
      /**
       * Makes the call safe to repeat: a second call with the same key (a retried job: pass its job id)
       * answers with the version the first one added instead of adding another. Scoped to the plugin and asset.
       */
      idempotencyKey?: string;
    },
  ): Promise<{ version: number; jobId: string }>;
  /** Needs "asset.write". A new asset from bytes the plugin produced (a render, an export). */
  create(
    tenantId: string,
    file: string | Buffer,
    options: {
      name: string;
      tags?: string[];
      userId?: string | null;
      /** As for `addVersion`: a repeated call with the same key answers with the asset the first one created. Scoped to the plugin. */
      idempotencyKey?: string;
    },
  ): Promise<{ assetId: string; jobId: string }>;
}

export interface PluginSecrets {
  get(tenantId: string, name: string): Promise<string | null>;
  set(tenantId: string, name: string, value: string): Promise<void>;
  delete(tenantId: string, name: string): Promise<void>;
}

/** Where a provider's OAuth2 endpoints are and who the plugin is to it. */
export interface OAuthProviderConfig {
  authorizationUrl: string;
  tokenUrl: string;
  clientId: string;
  /** Sent with HTTP Basic authentication to the token endpoint; absent for public clients (PKCE only). */
  clientSecret?: string | null;
  scopes?: string[];
  /** Extra query parameters for the authorization request (`access_type=offline`, `prompt=consent`…). */
  authorizationParams?: Record<string, string>;
}

export type OAuthConnectionStatus = "connected" | "reconnect_needed";

/** A tenant's connection to a provider, as clients and plugins see it: never its tokens. */
export interface OAuthConnectionInfo {
  id: string;
  pluginId: string;
  provider: string;
  status: OAuthConnectionStatus;
  scope: string | null;
  expiresAt: string | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface PluginOAuth {
  /**
   * Declares a provider this plugin connects tenants to (in `setup`). The config may depend on
   * the tenant (its settings and secrets). Tenants connect at
   * `POST /api/oauth/<plugin-id>/<provider>/connect`.
   */
  provider(name: string, config: OAuthProviderConfig | ((tenantId: string) => Promise<OAuthProviderConfig>)): void;
  /**
   * A valid access token of the tenant's connection, refreshed first when it expires within a
   * minute. Throws `KERNEL_OAUTH_RECONNECT_NEEDED` when the provider refused the refresh (the
   * connection then says `reconnect_needed`) and `KERNEL_OAUTH_NOT_CONNECTED` without a connection.
   */
  accessToken(tenantId: string, provider: string): Promise<string>;
  connection(tenantId: string, provider: string): Promise<OAuthConnectionInfo | null>;
}

export type { FastifyReply, FastifyRequest, Knex };
