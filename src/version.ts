// The package's version and documentation address, read once from package.json (two levels up from both src/ and
// dist/src/), so help texts and --version say what the package says.
import { readFileSync } from "node:fs";

interface PackageFacts {
  version: string;
  homepage: string | undefined;
}

function readPackage(): PackageFacts {
  for (const relative of ["../package.json", "../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), "utf8")) as { name?: string; version?: string; homepage?: string };
      if (pkg.name === "reasonedit" && pkg.version) return { version: pkg.version, homepage: pkg.homepage };
    } catch {
      // try the next location
    }
  }
  return { version: "0.0.0", homepage: undefined };
}

const facts = readPackage();

export const VERSION = facts.version;

/** Where the README is read: package.json's homepage. */
export const README_URL = facts.homepage ?? "the README.md shipped with the package";
