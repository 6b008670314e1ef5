// Binary masks on the analysis grid: morphology and connected regions for change maps and preserve.

export interface BinaryMask {
  /** width × height values, 1 = set, 0 = clear. */
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

export interface Component {
  id: number;
  area: number;
  left: number;
  top: number;
  /** Inclusive. */
  right: number;
  /** Inclusive. */
  bottom: number;
  touchesBorder: boolean;
}

/** Grows set areas by `radius` pixels (square window). */
export function dilate(mask: BinaryMask, radius: number): BinaryMask {
  return filterSeparable(mask, radius, false);
}

/** Shrinks set areas by `radius` pixels; the image border does not erode, so regions touching it keep their extent. */
export function erode(mask: BinaryMask, radius: number): BinaryMask {
  return filterSeparable(mask, radius, true);
}

/** Bridges gaps up to 2 × radius wide without growing the outline. */
export function close(mask: BinaryMask, radius: number): BinaryMask {
  return erode(dilate(mask, radius), radius);
}

/**
 * A square window, as `radius` passes of the 3 × 3 one (repeated 3 × 3 windows make the (2r+1) × (2r+1) one; pixels
 * beyond the border count as neither set for dilate nor clear for erode, at every size alike). Each pass is a row pass
 * then a column pass of plain ORs or ANDs: dilate keeps a pixel when any in its window is set, erode when all are.
 */
function filterSeparable(mask: BinaryMask, radius: number, erode: boolean): BinaryMask {
  if (radius <= 0) return mask;
  let data = mask.data;
  for (let pass = 0; pass < radius; pass++) data = filterColumns(filterRows(data, mask.width, erode), mask.width, erode);
  return { ...mask, data };
}

function filterRows(source: Uint8Array, width: number, erode: boolean): Uint8Array {
  const output = new Uint8Array(source.length);
  for (let start = 0; start < source.length; start += width) {
    const last = start + width - 1;
    if (width === 1) {
      output[start] = source[start]!;
      continue;
    }
    if (erode) {
      output[start] = source[start]! & source[start + 1]!;
      for (let i = start + 1; i < last; i++) output[i] = source[i - 1]! & source[i]! & source[i + 1]!;
      output[last] = source[last - 1]! & source[last]!;
    } else {
      output[start] = source[start]! | source[start + 1]!;
      for (let i = start + 1; i < last; i++) output[i] = source[i - 1]! | source[i]! | source[i + 1]!;
      output[last] = source[last - 1]! | source[last]!;
    }
  }
  return output;
}

function filterColumns(source: Uint8Array, width: number, erode: boolean): Uint8Array {
  const output = new Uint8Array(source.length);
  for (let row = 0; row < source.length; row += width) {
    // At the top and bottom rows the missing neighbour row is the row itself, which neither adds nor removes.
    const up = row > 0 ? row - width : row;
    const down = row + width < source.length ? row + width : row;
    if (erode) for (let x = 0; x < width; x++) output[row + x] = source[up + x]! & source[row + x]! & source[down + x]!;
    else for (let x = 0; x < width; x++) output[row + x] = source[up + x]! | source[row + x]! | source[down + x]!;
  }
  return output;
}

/**
 * 8-connected regions of pixels equal to `value`; `labels` holds each pixel's component id, or -1. Components are
 * numbered in the order their first pixel comes in row-major order. Works on runs (row segments), joined with a
 * union-find, so a large region costs about one step per row rather than one per pixel.
 */
export function labelComponents(mask: BinaryMask, value: 0 | 1 = 1): { labels: Int32Array; components: Component[] } {
  const { data, width, height } = mask;
  const runs = findRuns(data, width, height, value);
  const { count, row, start, end } = runs;
  const parent = new Int32Array(count);
  for (let r = 0; r < count; r++) parent[r] = r;
  // Join each run with the runs of the row above that touch it, diagonals included.
  let above = 0;
  for (let r = 0; r < count; r++) {
    const y = row[r]!;
    // Runs of a row come left to right, so those above that end too far left can be passed for good.
    while (above < r && (row[above]! < y - 1 || (row[above] === y - 1 && end[above]! < start[r]! - 1))) above++;
    for (let candidate = above; candidate < r && row[candidate] === y - 1 && start[candidate]! <= end[r]! + 1; candidate++) {
      union(parent, candidate, r);
    }
  }
  const labels = new Int32Array(data.length).fill(-1);
  const idOfRoot = new Int32Array(count).fill(-1);
  const components: Component[] = [];
  for (let r = 0; r < count; r++) {
    const root = findRoot(parent, r);
    let id = idOfRoot[root]!;
    const y = row[r]!;
    const left = start[r]!;
    const right = end[r]!;
    if (id === -1) {
      id = components.length;
      idOfRoot[root] = id;
      components.push({ id, area: 0, left, top: y, right, bottom: y, touchesBorder: false });
    }
    const component = components[id]!;
    component.area += right - left + 1;
    if (left < component.left) component.left = left;
    if (right > component.right) component.right = right;
    component.bottom = y;
    labels.fill(id, y * width + left, y * width + right + 1);
  }
  // Some pixel lies on the border exactly when the bounding box reaches it.
  for (const component of components) {
    component.touchesBorder = component.left === 0 || component.top === 0 || component.right === width - 1 || component.bottom === height - 1;
  }
  return { labels, components };
}

interface Runs {
  count: number;
  row: Int32Array;
  /** First x of the run. */
  start: Int32Array;
  /** Last x of the run (inclusive). */
  end: Int32Array;
}

/** Maximal horizontal runs of `value`, in row-major order. */
function findRuns(data: Uint8Array, width: number, height: number, value: 0 | 1): Runs {
  let capacity = Math.max(16, height * 2);
  let row: Int32Array = new Int32Array(capacity);
  let start: Int32Array = new Int32Array(capacity);
  let end: Int32Array = new Int32Array(capacity);
  let count = 0;
  for (let y = 0, at = 0; y < height; y++) {
    for (let x = 0; x < width; x++, at++) {
      if (data[at] !== value) continue;
      const first = x;
      while (x + 1 < width && data[at + 1] === value) {
        x++;
        at++;
      }
      if (count === capacity) {
        capacity *= 2;
        row = grow(row, capacity);
        start = grow(start, capacity);
        end = grow(end, capacity);
      }
      row[count] = y;
      start[count] = first;
      end[count] = x;
      count++;
    }
  }
  return { count, row, start, end };
}

function grow(array: Int32Array, capacity: number): Int32Array {
  const grown = new Int32Array(capacity);
  grown.set(array);
  return grown;
}

function findRoot(parent: Int32Array, node: number): number {
  let root = node;
  while (parent[root] !== root) root = parent[root]!;
  // Path compression: later finds on this chain take one step.
  while (parent[node] !== root) {
    const next = parent[node]!;
    parent[node] = root;
    node = next;
  }
  return root;
}

/** Joins two sets under the smaller root, so a root is always its set's first run. */
function union(parent: Int32Array, a: number, b: number): void {
  const rootA = findRoot(parent, a);
  const rootB = findRoot(parent, b);
  if (rootA < rootB) parent[rootB] = rootA;
  else if (rootB < rootA) parent[rootA] = rootB;
}

export function removeSmallComponents(mask: BinaryMask, minArea: number): BinaryMask {
  return rewriteComponents(mask, 1, (component) => component.area < minArea, 0);
}

/** Fills enclosed unset areas up to `maxArea`: an edit whose colours happen to match the old ones in places is still one edit. */
export function fillSmallHoles(mask: BinaryMask, maxArea: number): BinaryMask {
  return rewriteComponents(mask, 0, (component) => !component.touchesBorder && component.area <= maxArea, 1);
}

function rewriteComponents(mask: BinaryMask, value: 0 | 1, matches: (component: Component) => boolean, replacement: 0 | 1): BinaryMask {
  const { labels, components } = labelComponents(mask, value);
  const rewrite = Uint8Array.from(components, (component) => (matches(component) ? 1 : 0));
  const data = Uint8Array.from(mask.data);
  for (let i = 0; i < data.length; i++) {
    const label = labels[i]!;
    if (label >= 0 && rewrite[label] === 1) data[i] = replacement;
  }
  return { ...mask, data };
}
