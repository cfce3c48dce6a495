import { afterAll, beforeAll, expect, test } from "vitest";
import WebSocket from "ws";
import { createTestKernel, type TestKernel } from "../src/testing/index.js";
import { fixture } from "./fixtures.js";

let t: TestKernel;
let base: string;

beforeAll(async () => {
  t = await createTestKernel({ plugins: [fixture("full")] });
  base = await t.kernel.app.listen({ port: 0, host: "127.0.0.1" });
});
afterAll(() => t?.close());

/** A graphql-transport-ws client, just enough to subscribe once. */
function subscribe(query: string, tenant?: string): Promise<{ next: Promise<unknown>; close(): void }> {
  const ws = new WebSocket(`${base.replace("http", "ws")}/graphql`, "graphql-transport-ws", {
    headers: tenant ? { "x-crealia-test-tenant": tenant } : {},
  });
  return new Promise((resolve, reject) => {
    let onNext: (v: unknown) => void;
    const next = new Promise((r) => (onNext = r));
    ws.on("error", reject);
    ws.on("open", () => ws.send(JSON.stringify({ type: "connection_init" })));
    ws.on("message", (raw) => {
      const msg = JSON.parse(String(raw));
      if (msg.type === "connection_ack") {
        ws.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query } }));
        // Give the server a moment to register the subscription before the caller publishes.
        setTimeout(() => resolve({ next, close: () => ws.close() }), 100);
      } else if (msg.type === "next") onNext(msg.payload);
      else if (msg.type === "error") reject(new Error(JSON.stringify(msg.payload)));
    });
  });
}

test("a plugin's subscription field delivers what the plugin publishes, to the same tenant only", async () => {
  const other = await t.createTenant("subscriber-elsewhere");
  const sub = await subscribe("subscription { fixtureFullItemCreated { name } }");
  const elsewhere = await subscribe("subscription { fixtureFullItemCreated { name } }", other.id);
  let leaked: unknown = null;
  elsewhere.next.then((p) => (leaked = p));
  const created = await fetch(`${base}/api/p/fixture-full/v1/items`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "live" }),
  });
  expect(created.status).toBe(201);
  const payload = await Promise.race([sub.next, new Promise((_, rej) => setTimeout(() => rej(new Error("no event within 2 s")), 2000))]);
  sub.close();
  expect(payload).toEqual({ data: { fixtureFullItemCreated: { name: "live" } } });
  // Another tenant's subscriber hears nothing of it.
  await new Promise((r) => setTimeout(r, 300));
  elsewhere.close();
  expect(leaked).toBeNull();
});
