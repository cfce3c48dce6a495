import type { JobRecord } from "../../src/sdk/context.js";

export interface SseEvent {
  event: string;
  data: JobRecord;
  /** performance.now() when it arrived. */
  at: number;
}

/** A Server-Sent Events client for the tests: keeps every event with its arrival time. */
export async function openSse(url: string, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { accept: "text/event-stream", ...headers }, signal: abort.signal });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let waiters: (() => void)[] = [];
  let ended = false;
  const wake = () => {
    for (const w of waiters) w();
    waiters = [];
  };
  const done = (async () => {
    if (!res.body) return;
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for (;;) {
        const { done: finished, value } = await reader.read();
        if (finished) break;
        const at = performance.now();
        buffer += decoder.decode(value, { stream: true });
        let split = buffer.indexOf("\n\n");
        while (split >= 0) {
          const block = buffer.slice(0, split);
          buffer = buffer.slice(split + 2);
          let event = "message";
          let data = "";
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) comments.push(line.slice(1).trim());
            else if (line.startsWith("event: ")) event = line.slice(7);
            else if (line.startsWith("data: ")) data += line.slice(6);
          }
          if (data) events.push({ event, data: JSON.parse(data), at });
          split = buffer.indexOf("\n\n");
        }
        wake();
      }
    } catch {
      // aborted by close()
    } finally {
      ended = true;
      wake();
    }
  })();

  return {
    status: res.status,
    headers: res.headers,
    events,
    comments,
    /** The first event (already received or still to come) that matches. */
    async next(match: (e: SseEvent) => boolean, timeoutMs = 5000): Promise<SseEvent> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.find(match);
        if (found) return found;
        if (ended) throw new Error(`stream ended without a matching event; got ${JSON.stringify(events.map((e) => [e.data.status, e.data.progress]))}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(events.map((e) => [e.data.status, e.data.progress]))}`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
    },
    async waitForComment(text: string, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!comments.includes(text)) {
        if (Date.now() > deadline) throw new Error(`no ": ${text}" comment within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    /** Resolves when the server ends the stream. */
    ended: done,
    close() {
      abort.abort();
    },
  };
}
