// The loopback fake providers and the scripted MLLM, loaded at run time from test/fakes/ (plain .mjs files that
// tsc does not compile into dist/), typed from their .d.mts declarations.
import path from "node:path";
import { pathToFileURL } from "node:url";
import type * as FakeProvidersModule from "../../test/fakes/fake-providers.mjs";
import type * as ResponderModule from "../../test/fakes/reasoning-responder.mjs";
import { ROOT } from "./paths.js";

export type { FakeProviders, RecordedRequest, EditInput } from "../../test/fakes/fake-providers.mjs";
export type { ReasoningScript } from "../../test/fakes/reasoning-responder.mjs";

const fakeUrl = (file: string) => pathToFileURL(path.join(ROOT, "test", "fakes", file)).href;

export interface Fakes {
  providers: typeof FakeProvidersModule;
  responder: typeof ResponderModule;
}

export async function loadFakes(): Promise<Fakes> {
  const [providers, responder] = await Promise.all([
    import(fakeUrl("fake-providers.mjs")) as Promise<typeof FakeProvidersModule>,
    import(fakeUrl("reasoning-responder.mjs")) as Promise<typeof ResponderModule>,
  ]);
  return { providers, responder };
}
