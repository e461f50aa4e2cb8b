// Viewer options from the page URL.

// A multi-frame loop starts playing when opened unless the page URL says ?autoplay=0.
export function autoPlay(): boolean {
  return new URLSearchParams(location.search).get('autoplay') !== '0';
}

// Rendered frames: JPEG by default (small, fast); PNG for lossless review (?format=png).
export function renderedFormat(): 'image/jpeg' | 'image/png' {
  return new URLSearchParams(location.search).get('format') === 'png' ? 'image/png' : 'image/jpeg';
}
