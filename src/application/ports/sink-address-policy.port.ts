import type { SinkDescriptor } from '../../domain/subscription.js';

/**
 * Whether a sink's address is one deliveries may reach: a webhook on an internal network (loopback, private,
 * link-local, …) is refused unless that network is explicitly allowed. Asked when a subscription is created,
 * so that a bad address is refused then rather than failing every delivery; deliveries still check at connect.
 */
export interface SinkAddressPolicy {
  /** Why the sink may not be reached, or undefined when it may (or when that cannot be told now). */
  refusal(sink: SinkDescriptor): Promise<string | undefined>;
}
