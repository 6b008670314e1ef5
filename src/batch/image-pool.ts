// Decoded inputs shared by the rows that use the same image, held only while a row needs them
// (plus the few most recent), so memory stays flat however long the manifest is.
import type { InputImage } from "../images/input.js";

export type ImageLoader = (spec: string) => Promise<InputImage>;

interface Entry {
  image: Promise<InputImage>;
  users: number;
}

export class ImagePool {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly load: ImageLoader,
    /** Released images kept for the next rows, which often repeat an image. */
    private readonly keepReleased = 2,
  ) {}

  /** The decoded image; call `release(spec)` once the row is done with it. */
  acquire(spec: string): Promise<InputImage> {
    let entry = this.entries.get(spec);
    if (!entry) {
      entry = { image: this.load(spec), users: 0 };
      this.entries.set(spec, entry);
      // A failed load is not remembered: the next row may find the file fixed or the server back.
      entry.image.catch(() => this.forget(spec, entry!));
    }
    entry.users++;
    this.touch(spec, entry);
    return entry.image;
  }

  release(spec: string): void {
    const entry = this.entries.get(spec);
    if (!entry) return;
    entry.users = Math.max(0, entry.users - 1);
    this.evictIdle();
  }

  get size(): number {
    return this.entries.size;
  }

  /** Map order is recency order: re-inserting moves an entry to the end. */
  private touch(spec: string, entry: Entry): void {
    this.entries.delete(spec);
    this.entries.set(spec, entry);
  }

  private forget(spec: string, entry: Entry): void {
    if (this.entries.get(spec) === entry) this.entries.delete(spec);
  }

  private evictIdle(): void {
    let idle = [...this.entries.values()].filter((entry) => entry.users === 0).length;
    for (const [spec, entry] of this.entries) {
      if (idle <= this.keepReleased) return;
      if (entry.users === 0) {
        this.entries.delete(spec);
        idle--;
      }
    }
  }
}
