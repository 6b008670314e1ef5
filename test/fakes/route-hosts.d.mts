// Types for route-hosts.mjs.

export interface HostRouting {
  /** Hand this to the client's `fetch` option. */
  fetch: typeof fetch;
  /** Puts the original global fetch back (only if nobody replaced it since). */
  restore(): void;
}

export declare function rewriteHostedUrl(href: string, baseUrl: string): string;
export declare function routeHostsTo(baseUrl: string, options?: { patchGlobal?: boolean }): HostRouting;
