import { EventEmitter } from "node:events";

export interface KernelEvent {
  type: string;
  source: string;
  tenantId: string;
  payload: unknown;
}

/**
 * Typed publish/subscribe between plugins inside one node. Handlers run after publish returns
 * and their errors are logged, so one plugin's bug never breaks another's publish.
 */
export class EventBus {
  private readonly emitter = new EventEmitter();
  constructor(private readonly onHandlerError: (err: unknown, event: KernelEvent) => void) {
    this.emitter.setMaxListeners(0);
  }

  async publish(event: KernelEvent): Promise<void> {
    queueMicrotask(() => this.emitter.emit(event.type, event));
  }

  subscribe(type: string, handler: (event: KernelEvent) => void | Promise<void>): () => void {
    const wrapped = (event: KernelEvent) => {
      Promise.resolve()
        .then(() => handler(event))
        .catch((err) => this.onHandlerError(err, event));
    };
    this.emitter.on(type, wrapped);
    return () => this.emitter.off(type, wrapped);
  }
}
