// The program itself: a recent enough Node, and a sharp that can write the output formats.
import { fail, ok, warn, type DoctorCheck } from "./types.js";
import { firstLine } from "./http.js";

const MIN_NODE_MAJOR = 20;

export function checkNode(version: string): DoctorCheck {
  const base = { id: "node", label: "Node.js" } as const;
  const major = Number(/^v?(\d+)/.exec(version)?.[1] ?? Number.NaN);
  const shown = `v${version.replace(/^v/, "")}`;
  if (major >= MIN_NODE_MAJOR) return ok(base, shown);
  return fail(base, "config", `${shown} is too old: reasonedit needs Node.js ${MIN_NODE_MAJOR} or later`, `install Node.js ${MIN_NODE_MAJOR} LTS or later (https://nodejs.org, or \`nvm install ${MIN_NODE_MAJOR}\`)`);
}

export async function checkSharp(): Promise<DoctorCheck> {
  const base = { id: "sharp", label: "sharp" } as const;
  try {
    const { default: sharp } = await import("sharp");
    const { OUTPUT_FORMATS } = await import("../../images/output.js");
    const probe = () => sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 128, g: 96, b: 64 } } });
    // Encoding a tiny image is the only sure test: a system libvips may list a format it cannot write.
    const writable = await Promise.all(OUTPUT_FORMATS.map((format) => probe().toFormat(format).toBuffer().then(() => true, () => false)));
    const writes = OUTPUT_FORMATS.filter((_, i) => writable[i]);
    const missing = OUTPUT_FORMATS.filter((_, i) => !writable[i]);
    const versions = sharp.versions as Record<string, string | undefined>;
    const detail = `${versions.sharp ?? "?"}, libvips ${versions.vips ?? "?"}; writes ${writes.join(", ") || "nothing"}`;
    const data = { sharp: versions.sharp ?? null, vips: versions.vips ?? null, output_formats: writes };
    if (!writable[OUTPUT_FORMATS.indexOf("png")]) {
      return fail(base, "config", detail, "reinstall sharp with its prebuilt libvips: `npm rebuild sharp` (https://sharp.pixelplumbing.com/install)", data);
    }
    if (missing.length > 0) {
      const fix = `results can still be written as ${writes.join(", ")}; for ${missing.join(", ")}, reinstall sharp with its prebuilt libvips (\`npm rebuild sharp\`)`;
      return warn(base, `${detail}; cannot write ${missing.join(", ")}`, fix, data);
    }
    return ok(base, detail, data);
  } catch (error) {
    const fix = "reinstall it for this platform: `npm rebuild sharp` or `npm install --include=optional sharp` (https://sharp.pixelplumbing.com/install)";
    return fail(base, "config", `cannot load sharp: ${firstLine(error)}`, fix);
  }
}
