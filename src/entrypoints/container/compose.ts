import { Container, type ContainerModule } from 'inversify';

/** Builds a container from the application module and one family of adapter modules. */
export function compose(...modules: ContainerModule[]): Container {
  const container = new Container({ defaultScope: 'Singleton' });
  container.load(...modules);
  return container;
}
