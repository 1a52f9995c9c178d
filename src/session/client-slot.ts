import type { WaClient, WaClientEvent } from '../whatsapp/wa-client';
import { type ClientHandle, closeClient, startClient, type TeardownDeps } from './client-teardown';

/**
 * The one client in service. Each client carries a generation; once a client is detached its
 * events no longer count, so a client being torn down can never move the state.
 */
export class ClientSlot {
  private current: ClientHandle | null = null;
  private generation = 0;

  constructor(private readonly teardown: TeardownDeps) {}

  get handle(): ClientHandle | null {
    return this.current;
  }

  isCurrent(generation: number): boolean {
    return this.current?.generation === generation;
  }

  /** Puts `client` in service and starts it; its events reach `onEvent` while it is current. */
  install(
    client: WaClient,
    onEvent: (handle: ClientHandle, event: WaClientEvent) => void,
    onStartFailure: (handle: ClientHandle, error: unknown) => void,
  ): ClientHandle {
    const generation = ++this.generation;
    client.onEvent((event) => {
      const handle = this.current;
      if (handle?.generation === generation) onEvent(handle, event);
      else if (event.type !== 'message') this.teardown.log.debug(`Ignoring '${event.type}' from a retired client`);
    });
    const handle = startClient(client, generation, (error) => onStartFailure(handle, error));
    this.current = handle;
    return handle;
  }

  /** Takes the current client out of service and returns it, for closing. */
  detach(): ClientHandle | null {
    const handle = this.current;
    this.current = null;
    this.generation++;
    return handle;
  }

  /** Closes a detached client's browser for good; bounded, never throws. */
  close(handle: ClientHandle | null): Promise<void> {
    return closeClient(handle, this.teardown);
  }
}
