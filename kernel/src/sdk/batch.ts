/**
 * The JSON Schema of a batch route's `assetIds`: 1 to 500 distinct asset ids. One definition for
 * every plugin that runs a job per photo under one `enqueueBatch` parent, so the bound is the same everywhere.
 */
export const assetIdsSchema = {
  type: "array",
  minItems: 1,
  maxItems: 500,
  uniqueItems: true,
  items: { type: "string", format: "uuid" },
} as const;
