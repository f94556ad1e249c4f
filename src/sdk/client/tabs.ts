/**
 * Coordination between the tabs of one browser. Web Locks serialise refreshes of one session
 * across tabs (the lock is per origin, named per publishable key); where the API is missing (an
 * insecure context, an old browser) only this tab's calls are serialised and the server's reuse
 * window (SPEC §4) absorbs a collision with another tab.
 */
export function withTabLock<T>(name: string, task: () => Promise<T>): Promise<T> {
  const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
  return locks ? (locks.request(name, task) as Promise<T>) : task();
}

/** A BroadcastChannel where the platform has one (every current browser; Node ≥ 18). */
export function openChannel(name: string): BroadcastChannel | undefined {
  return typeof BroadcastChannel === 'undefined' ? undefined : new BroadcastChannel(name);
}
