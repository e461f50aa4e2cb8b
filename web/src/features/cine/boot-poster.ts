// The study's first image as the server put it in a viewer URL's page (src/server/viewer_page.h):
// an <img id="boot-poster"> that the browser fetches, decodes and paints while the app's scripts
// load — off the main thread, before any of the viewer exists. The viewer's first cell takes it
// over when it shows the study's first loop (the image is that loop's first frame, in the server's
// order, which is study-model's), as its first frame on screen until it draws one itself
// (CineCell.adoptPoster); otherwise it goes (dropBootPoster).

const ID = 'boot-poster';
let paintedMs: number | null = null; // when the browser painted it (Element Timing); null: not yet, or unknown
const waiting = new Set<(ms: number) => void>();

interface ElementTiming extends PerformanceEntry {
  identifier: string;
  renderTime: number;
  loadTime: number;
}

if (typeof PerformanceObserver !== 'undefined' && PerformanceObserver.supportedEntryTypes?.includes('element')) {
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries() as ElementTiming[]) {
      if (entry.identifier !== ID || paintedMs !== null) continue;
      paintedMs = entry.renderTime || entry.loadTime;
      for (const callback of waiting) callback(paintedMs);
      waiting.clear();
    }
  }).observe({ type: 'element', buffered: true }); // buffered: painted before the app loaded
}

// The page's poster, once (the caller shows it or removes it); undefined when the page has none,
// it was taken already, or it failed to load.
export function takeBootPoster(): HTMLImageElement | undefined {
  const img = document.getElementById(ID);
  if (!(img instanceof HTMLImageElement)) return undefined;
  img.removeAttribute('id');
  if (img.complete && img.naturalWidth === 0) {
    img.remove();
    return undefined;
  }
  return img;
}

// Removes the poster if nobody took it (a study whose first cell shows another loop, or nothing).
export function dropBootPoster(): void {
  takeBootPoster()?.remove();
}

// Calls back with the time the poster was painted (ms from navigation start) — at once when it
// is known — unless the browser does not say (no Element Timing: Firefox, Safari).
export function whenPosterPainted(callback: (ms: number) => void): void {
  if (paintedMs !== null) callback(paintedMs);
  else waiting.add(callback);
}
