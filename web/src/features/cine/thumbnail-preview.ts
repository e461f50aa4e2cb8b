// Animated thumbnail: while the pointer is over a loop's thumbnail, the loop
// plays in its <img> at the acquired rate, from frames the server renders at
// thumbnail size (at most MAX_FRAMES, evenly spread, fetched once per hover
// and cached by the browser), after a short rest of the pointer, so a click
// that opens the loop starts no preview. Leaving or pressing puts the
// first-frame thumbnail back. Independent of the cells' frame loader.

import type { Loop } from '../../core/study-model';

const MAX_FRAMES = 40;
const REST_MS = 400;

// Call when the pointer enters `thumb` (holding the <img>): it plays until
// the pointer leaves or presses.
export function previewOnHover(thumb: HTMLElement, loop: Loop, frameUrl: (frame: number) => string): void {
  const img = thumb.querySelector('img');
  if (!img || loop.frameCount < 2 || loop.problem) return;
  let stopPlaying = () => {};
  const wait = window.setTimeout(() => (stopPlaying = play(img, loop, frameUrl)), REST_MS);
  const stop = () => {
    clearTimeout(wait);
    stopPlaying();
    thumb.removeEventListener('mouseleave', stop);
    thumb.removeEventListener('pointerdown', stop);
  };
  thumb.addEventListener('mouseleave', stop);
  thumb.addEventListener('pointerdown', stop);
}

function play(img: HTMLImageElement, loop: Loop, frameUrl: (frame: number) => string): () => void {
  const still = img.getAttribute('src') ?? '';
  const step = Math.ceil(loop.frameCount / MAX_FRAMES);
  const frames = Array.from({ length: Math.ceil(loop.frameCount / step) }, (_, i) => i * step);
  const images = frames.map((f) => {
    const image = new Image();
    image.src = frameUrl(f + 1);
    return image;
  });
  const intervalMs = Math.max(10, (loop.timeline.durationMs / loop.frameCount) * step);
  let i = 0;
  const timer = window.setInterval(() => {
    const next = (i + 1) % frames.length;
    if (!images[next]!.complete || images[next]!.naturalWidth === 0) return; // not there yet: hold
    i = next;
    img.src = images[i]!.src;
    img.dataset.previewFrame = String(frames[i]! + 1);
  }, intervalMs);
  return () => {
    clearInterval(timer);
    img.setAttribute('src', still);
    delete img.dataset.previewFrame;
  };
}
