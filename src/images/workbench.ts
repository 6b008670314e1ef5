// The loop's pixel work done with sharp: exact ops, change maps and preserving what should not change.
import type { ChangeEvidence, ExactOp, Picture, Workbench } from "../loop/types.js";
import { changeMap } from "./change-map.js";
import { applyOps } from "./ops.js";
import { preserve, type Preserved } from "./preserve.js";
import { encodePng, pixelsOf } from "./rgb.js";
import { editorSize } from "./shape.js";

export class SharpWorkbench implements Workbench {
  /** The ops, then back to the editor's working shape (~1 MP, sides a multiple of 16) when they changed the size. */
  async applyOps(image: Picture, ops: readonly ExactOp[]): Promise<Picture> {
    const result = await applyOps(image, ops);
    if (result.width === image.width && result.height === image.height) return result;
    const size = editorSize(result.width, result.height);
    if (size.width === result.width && size.height === result.height) return result;
    return encodePng(await pixelsOf(result.bytes, size));
  }

  changeMap(base: Picture, candidate: Picture): Promise<ChangeEvidence> {
    return changeMap(base, candidate);
  }

  preserve(base: Picture, candidate: Picture): Promise<Preserved> {
    return preserve(base, candidate);
  }
}
