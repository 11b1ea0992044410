import { Container } from 'inversify';
import type { WorkMessage } from '../../../src/application/work-messages.js';
import type { WorkDispatcher } from '../../../src/application/ports/work-dispatcher.port.js';
import { TOKENS } from '../../../src/application/tokens.js';
import { firstUseModule, loadedOnFirstUse } from '../../../src/entrypoints/lambda/first-use.js';
import { aScanFeedsMessage } from '../../support/mothers.js';

/** A dispatcher that keeps what it was handed: the adapter the stand-in loads. */
class KeepingDispatcher implements WorkDispatcher {
  readonly dispatched: { messages: readonly WorkMessage[]; delaySeconds?: number }[] = [];

  async dispatch(messages: readonly WorkMessage[], options?: { delaySeconds?: number }): Promise<void> {
    this.dispatched.push({ messages, ...options });
  }
}

/** A loader that counts its loads and fails the first `failures` of them. */
function aLoader(adapter: KeepingDispatcher, failures = 0) {
  const loader = {
    loads: 0,
    load: async (): Promise<WorkDispatcher> => {
      loader.loads++;
      if (loader.loads <= failures) throw new Error(`load ${loader.loads} failed`);
      return adapter;
    },
  };
  return loader;
}

describe('loadedOnFirstUse', () => {
  it('loads nothing until a method is called', () => {
    const loader = aLoader(new KeepingDispatcher());

    loadedOnFirstUse<WorkDispatcher>({ dispatch: true }, loader.load);

    expect(loader.loads).toBe(0);
  });

  it('hands every call to the loaded adapter, with its arguments, and loads it once', async () => {
    const adapter = new KeepingDispatcher();
    const loader = aLoader(adapter);
    const port = loadedOnFirstUse<WorkDispatcher>({ dispatch: true }, loader.load);

    await Promise.all([port.dispatch([aScanFeedsMessage()]), port.dispatch([], { delaySeconds: 30 })]);
    await port.dispatch([aScanFeedsMessage()]);

    expect(loader.loads).toBe(1);
    expect(adapter.dispatched).toEqual([
      { messages: [aScanFeedsMessage()] },
      { messages: [], delaySeconds: 30 },
      { messages: [aScanFeedsMessage()] },
    ]);
  });

  it('fails the call whose load failed, and loads again on the next call', async () => {
    const adapter = new KeepingDispatcher();
    const loader = aLoader(adapter, 1);
    const port = loadedOnFirstUse<WorkDispatcher>({ dispatch: true }, loader.load);

    await expect(port.dispatch([aScanFeedsMessage()])).rejects.toThrow('load 1 failed');
    await port.dispatch([aScanFeedsMessage()]);

    expect(loader.loads).toBe(2);
    expect(adapter.dispatched).toHaveLength(1);
  });
});

describe('firstUseModule', () => {
  it('binds the token to a stand-in that loads the adapter on first use', async () => {
    const adapter = new KeepingDispatcher();
    const loader = aLoader(adapter);
    const container = new Container();
    container.load(firstUseModule(TOKENS.WorkDispatcher, { dispatch: true }, loader.load));

    const port = container.get(TOKENS.WorkDispatcher);
    expect(loader.loads).toBe(0);
    await port.dispatch([aScanFeedsMessage()]);

    expect(adapter.dispatched).toEqual([{ messages: [aScanFeedsMessage()] }]);
  });
});
