import type { DeliveryResult, Notification, NotificationSink } from '../../application/ports/notification-sink.port.js';

/** A webhook sink in memory: remembers what each subscriber received, and answers as a test scripts it. */
export class InMemoryNotificationSink implements NotificationSink {
  readonly kind = 'webhook';
  readonly received: Notification[] = [];
  private readonly scripted = new Map<string, DeliveryResult[]>();

  /** The next answers for deliveries to `url`, in order; after them, deliveries succeed. */
  answer(url: string, ...results: DeliveryResult[]): void {
    this.scripted.set(url, [...(this.scripted.get(url) ?? []), ...results]);
  }

  async deliver(notification: Notification): Promise<DeliveryResult> {
    const next = this.scripted.get(notification.subscription.sink.url)?.shift();
    if (next) return next;
    this.received.push(notification);
    return { kind: 'delivered' };
  }
}
