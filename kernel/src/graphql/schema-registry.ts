import { buildASTSchema, extendSchema, type GraphQLSchema, Kind, parse } from "graphql";
import { kernelError } from "../errors.js";
import type { GraphQLResolvers } from "../sdk/context.js";

/** The kernel's base schema. Root types carry a placeholder so every plugin can `extend` all three. */
export const BASE_TYPE_DEFS = /* GraphQL */ `
  type Query {
    kernel: KernelInfo!
    "A job of the caller's tenant."
    job(id: ID!): Job
    "The caller's tenant's jobs, newest first; pass a page's nextCursor as after for the next one."
    jobs(status: [JobStatus!], type: String, parentId: ID, assetId: ID, first: Int = 50, after: String): JobPage!
  }
  type Mutation {
    _kernelPing: Boolean
    cancelJob(id: ID!): Job
    retryJob(id: ID!): Job
  }
  type Subscription {
    _kernelHeartbeat: Boolean
    "Each update of one job (id), or of every job of the caller's tenant (no id)."
    jobUpdated(id: ID): Job!
  }
  type KernelInfo {
    version: String!
    sdkVersion: String!
    plugins: [PluginStatus!]!
  }
  type PluginStatus {
    id: String!
    version: String!
    state: String!
    reason: String
  }
  "Any JSON value."
  scalar JSON
  enum JobStatus {
    queued
    running
    retrying
    succeeded
    failed
    cancelled
  }
  type JobError {
    code: String!
    message: String!
  }
  type Job {
    id: ID!
    type: String!
    pluginId: String!
    status: JobStatus!
    progress: Float!
    payload: JSON
    result: JSON
    error: JobError
    attempts: Int!
    maxAttempts: Int!
    tenantId: ID!
    userId: ID
    assetId: ID
    parentId: ID
    idempotencyKey: String
    createdAt: String!
    runAt: String!
    startedAt: String
    finishedAt: String
    updatedAt: String!
  }
  type JobPage {
    jobs: [Job!]!
    nextCursor: String
  }
`;

const ROOTS = new Set(["Query", "Mutation", "Subscription"]);

export interface PluginSchemaPart {
  pluginId: string;
  typeDefs: string;
  resolvers: GraphQLResolvers;
}

export function pascalCase(id: string): string {
  return id.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}

export function camelCase(id: string): string {
  const p = pascalCase(id);
  return p.charAt(0).toLowerCase() + p.slice(1);
}

/**
 * Grows the one schema plugin by plugin. Each part is checked for namespacing and against the
 * schema built so far, so a plugin with a bad extension fails alone, before anything of it is kept.
 */
export class SchemaRegistry {
  private schema: GraphQLSchema = buildASTSchema(parse(BASE_TYPE_DEFS));
  private readonly parts: PluginSchemaPart[] = [];

  /** Throws a readable error when the part cannot join the schema. */
  current(): GraphQLSchema {
    return this.schema;
  }

  check(part: PluginSchemaPart, base: GraphQLSchema = this.schema): GraphQLSchema {
    const doc = parse(part.typeDefs);
    const typePrefix = pascalCase(part.pluginId);
    const fieldPrefix = camelCase(part.pluginId);
    for (const def of doc.definitions) {
      if (!("name" in def) || !def.name) continue;
      const name = def.name.value;
      const isExtension = def.kind.endsWith("Extension");
      if (!isExtension && !name.startsWith(typePrefix)) {
        throw kernelError("KERNEL_GRAPHQL_NAMESPACE", `GraphQL type "${name}" must start with "${typePrefix}"`);
      }
      if (isExtension && ROOTS.has(name) && def.kind === Kind.OBJECT_TYPE_EXTENSION) {
        for (const field of def.fields ?? []) {
          if (!field.name.value.startsWith(fieldPrefix)) {
            throw kernelError("KERNEL_GRAPHQL_NAMESPACE", `field ${name}.${field.name.value} must start with "${fieldPrefix}"`);
          }
        }
      } else if (isExtension && !name.startsWith(typePrefix)) {
        throw kernelError("KERNEL_GRAPHQL_NAMESPACE", `a plugin may only extend the root types or its own types, not "${name}"`);
      }
    }
    for (const [typeName, fields] of Object.entries(part.resolvers)) {
      if (!ROOTS.has(typeName) && !typeName.startsWith(typePrefix)) {
        throw kernelError("KERNEL_GRAPHQL_NAMESPACE", `resolvers for "${typeName}": a plugin resolves only root fields and its own types`);
      }
      void fields;
    }
    return extendSchema(base, doc);
  }

  add(part: PluginSchemaPart, extended: GraphQLSchema): void {
    this.schema = extended;
    this.parts.push(part);
  }

  typeDefs(): string {
    return [BASE_TYPE_DEFS, ...this.parts.map((p) => p.typeDefs)].join("\n");
  }

  pluginParts(): readonly PluginSchemaPart[] {
    return this.parts;
  }
}
