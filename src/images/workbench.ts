// The loop's pixel work done with sharp: exact ops, change maps and preserving what should not change.
import type { ChangeEvidence, ExactOp, Picture, Workbench } from "../loop/types.js";
import { changeMap } from "./change-map.js";
import { applyOps } from "./ops.js";
import { preserve, type Preserved } from "./preserve.js";

export class SharpWorkbench implements Workbench {
  applyOps(image: Picture, ops: readonly ExactOp[]): Promise<Picture> {
    return applyOps(image, ops);
  }

  changeMap(base: Picture, candidate: Picture): Promise<ChangeEvidence> {
    return changeMap(base, candidate);
  }

  preserve(base: Picture, candidate: Picture): Promise<Preserved> {
    return preserve(base, candidate);
  }
}
