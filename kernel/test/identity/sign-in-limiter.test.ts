import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, test } from "vitest";
import { SignInLimiter } from "../../src/identity/accounts/sign-in-limiter.js";
import { REDIS_URL } from "../fixtures.js";

describe("sign-in limiter on Redis", () => {
  const prefix = `crealia-test-${randomBytes(4).toString("hex")}`;
  const limits = { perAccount: 2, perIp: 3, windowSeconds: 30, lockAfter: 10, lockMinutes: 1 };
  // Two hosts: the counts are shared through Redis.
  const hostA = new SignInLimiter(limits, { url: REDIS_URL, prefix });
  const hostB = new SignInLimiter(limits, { url: REDIS_URL, prefix });
  afterAll(async () => {
    await hostA.close();
    await hostB.close();
  });

  test("failures counted on one host limit the other; success clears the account's count", async () => {
    await hostA.check("a@example.com", "10.0.0.1");
    await hostA.failed("a@example.com", "10.0.0.1");
    await hostB.failed("a@example.com", "10.0.0.2");
    await expect(hostB.check("a@example.com", "10.0.0.3")).rejects.toMatchObject({ code: "KERNEL_RATE_LIMITED", status: 429 });
    await hostA.succeeded("a@example.com");
    await expect(hostB.check("a@example.com", "10.0.0.3")).resolves.toBeUndefined();
  });

  test("per-IP counts span accounts", async () => {
    for (const who of ["x@example.com", "y@example.com", "z@example.com"]) await hostA.failed(who, "10.9.9.9");
    await expect(hostB.check("fresh@example.com", "10.9.9.9")).rejects.toMatchObject({ code: "KERNEL_RATE_LIMITED" });
  });

  test("a few mails per address and hour, no more", async () => {
    const sent: boolean[] = [];
    for (let i = 0; i < 7; i++) sent.push(await hostA.mayMail("mailbox@example.com"));
    expect(sent).toEqual([true, true, true, true, true, false, false]);
  });

  test("a limiter that never checked never connected, and closes cleanly", async () => {
    const idle = new SignInLimiter(limits, { url: REDIS_URL, prefix });
    await idle.close();
  });
});
