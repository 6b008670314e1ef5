// The editor's working size, shared by loading (the working copy is decoded at it) and shaping.
const EDITOR_AREA = 1024 * 1024;
const EDITOR_SIDE_STEP = 16;

/** The editor's working size: about 1 megapixel, the input's aspect ratio, sides a multiple of 16. */
export function editorSize(width: number, height: number): { width: number; height: number } {
  const scale = Math.sqrt(EDITOR_AREA / (width * height));
  return { width: snapSide(width * scale), height: snapSide(height * scale) };
}

function snapSide(side: number): number {
  return Math.max(EDITOR_SIDE_STEP, Math.round(side / EDITOR_SIDE_STEP) * EDITOR_SIDE_STEP);
}
