import { Redis } from "ioredis";
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { kernelError } from "../../errors.js";

export interface SignInLimits {
  /** Failed sign-ins allowed per account in `windowSeconds` before it answers 429. */
  perAccount: number;
  /** Failed sign-ins allowed per client IP in `windowSeconds`. */
  perIp: number;
  windowSeconds: number;
  /** Failures in a row (across windows) that lock the account until a password reset or `lockMinutes` pass. */
  lockAfter: number;
  lockMinutes: number;
}

const MAILS_PER_HOUR = 5;

export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = { perAccount: 5, perIp: 30, windowSeconds: 15 * 60, lockAfter: 20, lockMinutes: 60 };

/**
 * Counts failed sign-ins per account and per IP (rate-limiter-flexible; in Redis when the kernel
 * has REDIS_URL, so every host shares the counts, in memory otherwise).
 */
export class SignInLimiter {
  private readonly account: RateLimiterAbstract;
  private readonly ip: RateLimiterAbstract;
  private readonly mails: RateLimiterAbstract;
  private readonly redis: Redis | null;

  constructor(
    readonly limits: SignInLimits,
    redis: { url: string; prefix: string } | null,
  ) {
    this.redis = redis ? new Redis(redis.url, { maxRetriesPerRequest: 2, lazyConnect: true }) : null;
    const make = (name: string, points: number, duration = limits.windowSeconds) =>
      this.redis
        ? new RateLimiterRedis({ storeClient: this.redis, keyPrefix: `${redis?.prefix}:signin:${name}`, points, duration })
        : new RateLimiterMemory({ keyPrefix: `signin:${name}`, points, duration });
    this.account = make("account", limits.perAccount);
    this.ip = make("ip", limits.perIp);
    this.mails = make("mail", MAILS_PER_HOUR, 3600);
  }

  /** Refuses (429) before the password is even checked when either count is used up. */
  async check(email: string, ip: string): Promise<void> {
    const [a, i] = await Promise.all([this.account.get(email), this.ip.get(ip)]);
    if (a && a.consumedPoints >= this.limits.perAccount) throw limited("this account", a);
    if (i && i.consumedPoints >= this.limits.perIp) throw limited("this address", i);
  }

  async failed(email: string, ip: string): Promise<void> {
    await Promise.all([this.account.penalty(email, 1), this.ip.penalty(ip, 1)]);
  }

  /** Whether another reset or verification mail may go to this address now (a few per hour, against mail bombing). */
  async mayMail(email: string): Promise<boolean> {
    return this.mails.consume(email, 1).then(
      () => true,
      (err) => {
        if (err instanceof RateLimiterRes) return false;
        throw err;
      },
    );
  }

  async succeeded(email: string): Promise<void> {
    await this.account.delete(email);
  }

  async close(): Promise<void> {
    if (!this.redis) return;
    // Lazy: a process that never checked a sign-in never connected.
    if (this.redis.status === "wait") this.redis.disconnect();
    else await this.redis.quit().catch(() => this.redis?.disconnect());
  }
}

function limited(who: string, res: RateLimiterRes) {
  const seconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  return kernelError("KERNEL_RATE_LIMITED", `too many failed sign-ins for ${who}: try again in ${seconds} s`, { retryAfterSeconds: seconds });
}
