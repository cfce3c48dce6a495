import type { Logger } from "../logger.js";

/** A message for a user, such as a password reset link. */
export interface Notification {
  to: string;
  kind: "password-reset" | "email-verification";
  subject: string;
  text: string;
  /** Machine-readable parts (the token, the link). */
  data: Record<string, string>;
}

/** Where the kernel sends notifications. The host may plug in mail; the default logs them. */
export interface NotificationChannel {
  send(notification: Notification): Promise<void>;
}

/** The development channel: each notification is one log line (no mail leaves the machine). */
export class LogNotificationChannel implements NotificationChannel {
  constructor(private readonly log: Logger) {}
  async send(n: Notification): Promise<void> {
    this.log.info({ to: n.to, kind: n.kind, ...n.data }, `notification (logged, not mailed): ${n.subject}`);
  }
}

/** Keeps notifications in memory; the test harness reads them. */
export class MemoryNotificationChannel implements NotificationChannel {
  readonly sent: Notification[] = [];
  async send(n: Notification): Promise<void> {
    this.sent.push(n);
  }
  /** The newest notification of a kind to an address. */
  last(to: string, kind: Notification["kind"]): Notification | undefined {
    return this.sent.filter((n) => n.to === to.toLowerCase() && n.kind === kind).at(-1);
  }
}
