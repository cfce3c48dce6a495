/**
 * A settings form generated from a plugin's JSON Schema (the flat object schemas plugins use
 * for per-tenant settings). Fields the form can't edit (nested objects, arrays of objects) are
 * listed as read-only JSON so nothing is hidden.
 */
export interface SchemaField {
  key: string;
  label: string;
  description?: string;
  kind: "string" | "secret" | "number" | "integer" | "boolean" | "enum" | "list" | "json";
  options?: (string | number)[];
  required: boolean;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
}

interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  format?: string;
  writeOnly?: boolean;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
}

const titleCase = (key: string) =>
  key
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .replace(/[-_]+/g, " ")
    .replace(/^./, (c) => c.toUpperCase());

export function schemaFields(schema: unknown): SchemaField[] {
  const s = schema as JsonSchema | null;
  if (!s || typeof s !== "object" || !s.properties) return [];
  const required = new Set(s.required ?? []);
  return Object.entries(s.properties).map(([key, p]) => {
    const type = Array.isArray(p.type) ? p.type.find((t) => t !== "null") : p.type;
    const base = { key, label: p.title ?? titleCase(key), description: p.description, required: required.has(key), default: p.default };
    if (p.enum?.every((v) => typeof v === "string" || typeof v === "number")) return { ...base, kind: "enum", options: p.enum as (string | number)[] };
    if (type === "boolean") return { ...base, kind: "boolean" };
    if (type === "integer" || type === "number") return { ...base, kind: type, minimum: p.minimum, maximum: p.maximum };
    if (type === "string") return { ...base, kind: p.writeOnly || p.format === "password" ? "secret" : "string", maxLength: p.maxLength };
    if (type === "array" && (p.items?.type === "string" || p.items?.type === "number")) return { ...base, kind: "list" };
    return { ...base, kind: "json" };
  });
}

/** Turns form input (strings and checkboxes) into typed values; returns per-field problems in words. */
export function coerceValues(fields: SchemaField[], raw: Record<string, unknown>): { values: Record<string, unknown>; problems: Record<string, string> } {
  const values: Record<string, unknown> = {};
  const problems: Record<string, string> = {};
  for (const f of fields) {
    const v = raw[f.key];
    const empty = v === undefined || v === null || v === "";
    if (f.kind === "boolean") {
      values[f.key] = Boolean(v);
      continue;
    }
    if (empty) {
      if (f.required) problems[f.key] = `${f.label} is required.`;
      continue;
    }
    switch (f.kind) {
      case "number":
      case "integer": {
        const n = Number(v);
        if (!Number.isFinite(n) || (f.kind === "integer" && !Number.isInteger(n)))
          problems[f.key] = `${f.label} must be a ${f.kind === "integer" ? "whole " : ""}number.`;
        else if (f.minimum !== undefined && n < f.minimum) problems[f.key] = `${f.label} must be at least ${f.minimum}.`;
        else if (f.maximum !== undefined && n > f.maximum) problems[f.key] = `${f.label} must be at most ${f.maximum}.`;
        else values[f.key] = n;
        break;
      }
      case "enum": {
        const match = f.options?.find((o) => String(o) === String(v));
        if (match === undefined) problems[f.key] = `Choose one of the options for ${f.label}.`;
        else values[f.key] = match;
        break;
      }
      case "list":
        values[f.key] = String(v)
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean);
        break;
      case "json":
        try {
          values[f.key] = typeof v === "string" ? JSON.parse(v) : v;
        } catch {
          problems[f.key] = `${f.label} must be valid JSON.`;
        }
        break;
      default: {
        const s = String(v);
        if (f.maxLength !== undefined && s.length > f.maxLength) problems[f.key] = `${f.label} can be at most ${f.maxLength} characters.`;
        else values[f.key] = s;
      }
    }
  }
  return { values, problems };
}
