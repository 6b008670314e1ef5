// The loop's pixel work done with sharp: exact ops, change maps and preserving what should not change.
import sharp from "sharp";
import type { ChangeEvidence, ExactOp, Picture, Workbench } from "../loop/types.js";
import { changeMap } from "./change-map.js";
import { applyOps } from "./ops.js";
import { preserve, type Preserved } from "./preserve.js";
import { FAST_PNG } from "./rgb.js";
import { editorSize } from "./shape.js";

export class SharpWorkbench implements Workbench {
  /** The ops, then back to the editor's working shape (~1 MP, sides a multiple of 16) when they changed the size. */
  async applyOps(image: Picture, ops: readonly ExactOp[]): Promise<Picture> {
    const result = await applyOps(image, ops);
    if (result.width === image.width && result.height === image.height) return result;
    const size = editorSize(result.width, result.height);
    if (size.width === result.width && size.height === result.height) return result;
    const bytes = await sharp(result.bytes).resize(size.width, size.height, { fit: "fill" }).png(FAST_PNG).toBuffer();
    return { bytes, mimeType: "image/png", ...size };
  }

  changeMap(base: Picture, candidate: Picture): Promise<ChangeEvidence> {
    return changeMap(base, candidate);
  }

  preserve(base: Picture, candidate: Picture): Promise<Preserved> {
    return preserve(base, candidate);
  }
}
