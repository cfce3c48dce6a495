import WebSocket from "ws";

/** A graphql-transport-ws client for the tests: subscribes once and keeps every payload. */
export async function subscribeGraphQL(url: string, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url.replace(/^http/, "ws"), "graphql-transport-ws", { headers });
  const payloads: { data?: unknown; errors?: unknown[] }[] = [];
  /** performance.now() when each payload arrived. */
  const arrivals: number[] = [];
  const errors: unknown[] = [];
  let waiters: (() => void)[] = [];
  const wake = () => {
    for (const w of waiters) w();
    waiters = [];
  };
  await new Promise<void>((resolve, reject) => {
    ws.on("error", reject);
    ws.on("open", () => ws.send(JSON.stringify({ type: "connection_init" })));
    ws.on("message", (raw) => {
      const msg = JSON.parse(String(raw));
      if (msg.type === "connection_ack") {
        ws.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query, variables } }));
        // Give the server a moment to register the subscription before the caller acts.
        setTimeout(resolve, 150);
      } else if (msg.type === "next") {
        payloads.push(msg.payload);
        arrivals.push(performance.now());
      } else if (msg.type === "error") errors.push(msg.payload);
      wake();
    });
  });
  return {
    payloads,
    arrivals,
    errors,
    /** When the payload arrived. */
    arrivedAt: (payload: unknown) => arrivals[payloads.indexOf(payload as { data?: unknown })] as number,
    async next<T>(match: (p: { data?: unknown }) => boolean, timeoutMs = 5000): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = payloads.find(match);
        if (found) return found as T;
        if (errors.length) throw new Error(`subscription error: ${JSON.stringify(errors)}`);
        if (Date.now() > deadline) throw new Error(`no matching payload within ${timeoutMs} ms; got ${JSON.stringify(payloads)}`);
        await new Promise<void>((r) => {
          const t = setTimeout(r, 50);
          waiters.push(() => {
            clearTimeout(t);
            r();
          });
        });
      }
    },
    close: () => ws.close(),
  };
}
