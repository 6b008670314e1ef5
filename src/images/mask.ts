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
  return filterSeparable(mask, radius, (ones) => ones > 0);
}

/** Shrinks set areas by `radius` pixels; the image border does not erode, so regions touching it keep their extent. */
export function erode(mask: BinaryMask, radius: number): BinaryMask {
  return filterSeparable(mask, radius, (ones, inBounds) => ones === inBounds);
}

/** Bridges gaps up to 2 × radius wide without growing the outline. */
export function close(mask: BinaryMask, radius: number): BinaryMask {
  return erode(dilate(mask, radius), radius);
}

function filterSeparable(mask: BinaryMask, radius: number, keep: (ones: number, inBounds: number) => boolean): BinaryMask {
  if (radius <= 0) return mask;
  const rows = filterLines(mask.data, mask.width, mask.height, radius, true, keep);
  return { ...mask, data: filterLines(rows, mask.width, mask.height, radius, false, keep) };
}

function filterLines(
  source: Uint8Array,
  width: number,
  height: number,
  radius: number,
  horizontal: boolean,
  keep: (ones: number, inBounds: number) => boolean,
): Uint8Array {
  const output = new Uint8Array(source.length);
  const lineCount = horizontal ? height : width;
  const length = horizontal ? width : height;
  const step = horizontal ? 1 : width;
  const prefix = new Int32Array(length + 1);
  for (let line = 0; line < lineCount; line++) {
    const start = horizontal ? line * width : line;
    for (let i = 0; i < length; i++) prefix[i + 1] = prefix[i]! + source[start + i * step]!;
    for (let i = 0; i < length; i++) {
      const low = Math.max(0, i - radius);
      const high = Math.min(length, i + radius + 1);
      output[start + i * step] = keep(prefix[high]! - prefix[low]!, high - low) ? 1 : 0;
    }
  }
  return output;
}

/** 8-connected regions of pixels equal to `value`; `labels` holds each pixel's component id, or -1. */
export function labelComponents(mask: BinaryMask, value: 0 | 1 = 1): { labels: Int32Array; components: Component[] } {
  const { data, width, height } = mask;
  const labels = new Int32Array(data.length).fill(-1);
  const stack = new Int32Array(data.length);
  const components: Component[] = [];
  for (let seed = 0; seed < data.length; seed++) {
    if (data[seed] !== value || labels[seed] !== -1) continue;
    const component: Component = { id: components.length, area: 0, left: width, top: height, right: -1, bottom: -1, touchesBorder: false };
    let size = 0;
    stack[size++] = seed;
    labels[seed] = component.id;
    while (size > 0) {
      const pixel = stack[--size]!;
      const x = pixel % width;
      const y = (pixel - x) / width;
      include(component, x, y, width, height);
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          const ny = y + dy;
          if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
          const neighbour = ny * width + nx;
          if (data[neighbour] !== value || labels[neighbour] !== -1) continue;
          labels[neighbour] = component.id;
          stack[size++] = neighbour;
        }
      }
    }
    components.push(component);
  }
  return { labels, components };
}

function include(component: Component, x: number, y: number, width: number, height: number): void {
  component.area++;
  component.left = Math.min(component.left, x);
  component.top = Math.min(component.top, y);
  component.right = Math.max(component.right, x);
  component.bottom = Math.max(component.bottom, y);
  if (x === 0 || y === 0 || x === width - 1 || y === height - 1) component.touchesBorder = true;
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
  const rewrite = components.map(matches);
  const data = Uint8Array.from(mask.data, (current, i) => {
    const label = labels[i]!;
    return label >= 0 && rewrite[label] ? replacement : current;
  });
  return { ...mask, data };
}
