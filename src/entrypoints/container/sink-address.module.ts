import { ContainerModule } from 'inversify';
import { TOKENS } from '../../application/tokens.js';
import {
  GuardedSinkAddressPolicy,
  SINK_ADDRESS_OPTIONS,
  type SinkAddressOptions,
} from '../../adapters/http/guarded-sink-address-policy.js';

/** The address guard asked when a subscription is created, under the allowed networks deliveries run under. */
export function sinkAddressModule(options: SinkAddressOptions): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(SINK_ADDRESS_OPTIONS).toConstantValue(options);
    bind(TOKENS.SinkAddressPolicy).to(GuardedSinkAddressPolicy).inSingletonScope();
  });
}
