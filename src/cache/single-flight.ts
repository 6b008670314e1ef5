// Identical concurrent calls share one in-flight call, so a batch never pays twice for the same answer.

interface Flight {
  promise: Promise<unknown>;
  controller: AbortController;
  /** Callers still waiting that could give up; the shared call is aborted only when all of them have. */
  abortableWaiters: number;
  /** Callers without a signal: while any waits, the shared call must finish. */
  steadyWaiters: number;
}

export interface Shared<T> {
  value: T;
  /** True when this caller joined a call another caller had started. */
  shared: boolean;
}

export class SingleFlight {
  private readonly flights = new Map<string, Flight>();

  /**
   * Calls `produce` unless a call with the same key is in flight, then waits for that one.
   * Callers with the same key must expect the same type: the key is a hash of the whole request.
   */
  async run<T>(key: string, signal: AbortSignal | undefined, produce: (signal: AbortSignal) => Promise<T>): Promise<Shared<T>> {
    signal?.throwIfAborted();
    const existing = this.flights.get(key);
    const flight = existing ?? this.start(key, produce);
    const value = (await this.wait(key, flight, signal)) as T;
    return { value, shared: existing !== undefined };
  }

  private start(key: string, produce: (signal: AbortSignal) => Promise<unknown>): Flight {
    const controller = new AbortController();
    const flight: Flight = { controller, abortableWaiters: 0, steadyWaiters: 0, promise: Promise.resolve() };
    flight.promise = produce(controller.signal).finally(() => this.forget(key, flight));
    this.flights.set(key, flight);
    return flight;
  }

  private wait(key: string, flight: Flight, signal: AbortSignal | undefined): Promise<unknown> {
    if (!signal) {
      flight.steadyWaiters += 1;
      return flight.promise;
    }
    flight.abortableWaiters += 1;
    return new Promise((resolve, reject) => {
      const giveUp = (): void => {
        reject(signal.reason);
        flight.abortableWaiters -= 1;
        if (flight.abortableWaiters > 0 || flight.steadyWaiters > 0) return;
        this.forget(key, flight); // a later caller must start afresh, not join a call being aborted
        flight.controller.abort(signal.reason);
      };
      signal.addEventListener("abort", giveUp, { once: true });
      flight.promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", giveUp));
    });
  }

  private forget(key: string, flight: Flight): void {
    if (this.flights.get(key) === flight) this.flights.delete(key);
  }
}
