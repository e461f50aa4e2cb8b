// Rendered frames: JPEG by default (small, fast); PNG for lossless review
// (?format=png in the page URL).
export function renderedFormat(): 'image/jpeg' | 'image/png' {
  return new URLSearchParams(location.search).get('format') === 'png' ? 'image/png' : 'image/jpeg';
}
