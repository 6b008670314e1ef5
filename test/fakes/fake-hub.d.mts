// Types for fake-hub.mjs.

export type HubRequestKind = "info" | "tree" | "resolve" | "bridge" | "unknown";

export interface HubRequest {
  kind: HubRequestKind;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  at: number;
}

export interface FakeHubOptions {
  /** Tree entries per page before a Link: rel="next" header (the Hub's own is 1000). */
  pageSize?: number;
  /** When set, a Bearer token other than this one gets 401 "Invalid credentials in Authorization header". */
  token?: string;
}

export interface FakeDatasetOptions {
  branch?: string;
  private?: boolean;
  gated?: false | "auto" | "manual";
}

export interface FakeHub {
  url: string;
  requests: HubRequest[];
  requestsOf(kind: HubRequestKind): HubRequest[];
  /** The next requests of this kind fail, one fault each: an HTTP status (an HTML error page, as the CDN sends) or "truncate" (the bridge drops the connection halfway through the body). */
  fail(kind: HubRequestKind, ...faults: (number | "truncate")[]): void;
  /** Adds a commit holding exactly these files and points the branch (main by default) at it; returns the commit sha. */
  addDataset(repo: string, files: Record<string, string | Uint8Array>, options?: FakeDatasetOptions): string;
  close(): Promise<void>;
}

export declare function startFakeHub(options?: FakeHubOptions): Promise<FakeHub>;
