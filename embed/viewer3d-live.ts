// Which of a page's 3D graphics (embed/viewer3d.ts) have a live frame. Each live frame holds a
// WebGL context, and Chromium keeps 16 alive at once: past that it takes the oldest one's,
// whose graphic is then blank for good. A textbook page has 20-40 graphics. So only those in
// or near the viewport are live, at most MAX_LIVE of them, the nearest first; the others show
// a still image of themselves (the graphic asks its frame for one before it unloads it).
// One registry per document, with one IntersectionObserver and one message listener for all of
// its graphics.

/** A graphic as the registry sees it. */
export interface LiveSlot {
  /** The graphic's box in the output, which the registry watches. */
  readonly box: HTMLElement;
  /** Whether its frame is in the box (loading, shown, or asked for its still). */
  readonly live: boolean;
  /** The window of its live frame, which its messages come from. */
  readonly source: Window | null;
  /** Loads its frame (again). */
  wake(): void;
  /** Asks its frame for a still and its view, then unloads it. */
  park(): void;
  /** A message its frame's window posted. */
  receive(data: unknown): void;
}

/** Live frames at most: half Chromium's 16, leaving room for the page's own WebGL and other tabs of the site. */
export const MAX_LIVE = 8;
/** How far outside the viewport a graphic is loaded ahead of being scrolled to: half a viewport above and below. */
const NEAR = '50% 0px';

class LiveFrames {
  private readonly slots = new Map<Element, LiveSlot>();
  private readonly near = new Set<LiveSlot>();
  /** Those that were ever near: one not yet put in the page (an output being built) is not gone from it. */
  private readonly seen = new WeakSet<LiveSlot>();
  private readonly observer: IntersectionObserver;
  private queued = false;

  constructor(private readonly view: Window) {
    this.observer = new (view as Window & typeof globalThis).IntersectionObserver((entries) => {
      for (const entry of entries) {
        const slot = this.slots.get(entry.target);
        if (!slot) continue;
        if (entry.isIntersecting) {
          this.near.add(slot);
          this.seen.add(slot);
        } else this.near.delete(slot);
      }
      this.balance();
    }, { rootMargin: NEAR });
    view.addEventListener('message', (e) => {
      if (!e.source) return;
      for (const slot of this.slots.values()) if (slot.source === e.source) return slot.receive(e.data);
    });
    // More graphics near than may be live (a tall window, small graphics): which are nearest
    // changes with each scroll, not only when one crosses the edge of the near region.
    view.addEventListener('scroll', () => {
      if (this.near.size > MAX_LIVE) this.schedule();
    }, { capture: true, passive: true });
  }

  add(slot: LiveSlot): void {
    if (this.slots.get(slot.box) === slot) return;
    this.slots.set(slot.box, slot);
    this.observer.observe(slot.box);
  }

  private schedule(): void {
    if (this.queued) return;
    this.queued = true;
    this.view.requestAnimationFrame(() => {
      this.queued = false;
      this.balance();
    });
  }

  /** Parks the live frames not among the MAX_LIVE nearest near ones, and wakes those that are. */
  private balance(): void {
    for (const [box, slot] of this.slots) {
      // Gone from the page (a re-run's output replaced it): its frame went with it. Forgotten,
      // so that the registry holds no output the page let go; put back, its element adds it
      // again (embed/viewer3d.ts, graphicElement()), and it wakes when near.
      if (!box.isConnected && this.seen.has(slot) && !this.near.has(slot)) {
        this.observer.unobserve(box);
        this.slots.delete(box);
        slot.park();
      }
    }
    const height = this.view.innerHeight;
    const distance = (slot: LiveSlot) => {
      const r = slot.box.getBoundingClientRect();
      return r.bottom < 0 ? -r.bottom : r.top > height ? r.top - height : 0;
    };
    const ranked = [...this.near].map((slot) => ({ slot, d: distance(slot) })).sort((a, b) => a.d - b.d);
    const keep = new Set(ranked.slice(0, MAX_LIVE).map((r) => r.slot));
    for (const slot of this.slots.values()) if (slot.live && !keep.has(slot)) slot.park();
    for (const slot of keep) if (!slot.live) slot.wake();
  }
}

const registries = new WeakMap<Window, LiveFrames>();

/** Keeps `slot` live while it is near the viewport, in its document's registry. */
export function keepLiveWhenNear(slot: LiveSlot): void {
  const view = slot.box.ownerDocument.defaultView;
  if (!view) return;
  let registry = registries.get(view);
  if (!registry) {
    registry = new LiveFrames(view);
    registries.set(view, registry);
  }
  registry.add(slot);
}
