import { ContainerModule } from 'inversify';
import { TOKENS } from '../../application/tokens.js';
import { RandomIdGenerator, SystemClock } from '../../adapters/system/system-clock.js';

/** The real clock and random ids. */
export function systemModule(): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.Clock).to(SystemClock).inSingletonScope();
    bind(TOKENS.IdGenerator).to(RandomIdGenerator).inSingletonScope();
  });
}
