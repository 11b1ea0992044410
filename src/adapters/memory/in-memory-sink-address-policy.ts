import type { SinkAddressPolicy } from '../../application/ports/sink-address-policy.port.js';
import type { SinkDescriptor } from '../../domain/subscription.js';

/** The sink address check in memory: refuses the hosts a test names as internal, lets every other pass. */
export class InMemorySinkAddressPolicy implements SinkAddressPolicy {
  private readonly internal = new Set<string>();

  /** From now on, webhooks on `hostname` are refused. */
  refuseHost(hostname: string): void {
    this.internal.add(hostname);
  }

  async refusal(sink: SinkDescriptor): Promise<string | undefined> {
    const { hostname } = new URL(sink.url);
    return this.internal.has(hostname) ? `the webhook host ${hostname} is an internal address` : undefined;
  }
}
