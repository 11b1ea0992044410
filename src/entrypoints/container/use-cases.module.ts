import { ContainerModule, type Newable } from 'inversify';
import { PageRelay } from '../../application/page-relay.js';
import { relaySettings, type RelaySettings } from '../../application/settings.js';
import { StepRunner } from '../../application/step-runner.js';
import { TOKENS } from '../../application/tokens.js';

/**
 * Only the given use cases, with the settings, the step runner and the page relay they run under: what one
 * Lambda function loads, so that its bundle holds its own use case and not the others (`applicationModule`
 * binds them all).
 */
export function useCasesModule(settings: Partial<RelaySettings>, useCases: readonly Newable[]): ContainerModule {
  const validated = relaySettings(settings);
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.RelaySettings).toConstantValue(validated);
    bind(StepRunner).toSelf().inSingletonScope();
    bind(PageRelay).toSelf().inSingletonScope();
    for (const useCase of useCases) bind(useCase).toSelf().inSingletonScope();
  });
}
