// Mouse control of a cine cell's view when no measuring tool is chosen:
// left drag = window/level, shift+left or middle drag = pan, wheel = zoom
// about the pointer, double-click = reset.

import type { CineCell } from './cine-cell';

export function attachViewControls(host: HTMLElement, cell: CineCell, enabled: () => boolean): () => void {
  let drag: { x: number; y: number; mode: 'window' | 'pan' } | null = null;
  const down = (e: PointerEvent) => {
    if (!enabled() || (e.button !== 0 && e.button !== 1)) return;
    drag = { x: e.clientX, y: e.clientY, mode: e.button === 1 || e.shiftKey ? 'pan' : 'window' };
    host.setPointerCapture?.(e.pointerId);
    e.preventDefault();
  };
  const move = (e: PointerEvent) => {
    if (!drag) return;
    const dx = e.clientX - drag.x;
    const dy = e.clientY - drag.y;
    drag.x = e.clientX;
    drag.y = e.clientY;
    if (drag.mode === 'pan') cell.panBy(dx, dy);
    else cell.adjustWindow(dx, dy);
  };
  const up = () => {
    drag = null;
  };
  const wheel = (e: WheelEvent) => {
    if (!enabled()) return;
    e.preventDefault();
    const box = host.getBoundingClientRect();
    cell.zoomBy(Math.exp(-e.deltaY / 500), e.clientX - box.left, e.clientY - box.top);
  };
  const dbl = () => enabled() && cell.reset();
  host.addEventListener('pointerdown', down);
  host.addEventListener('pointermove', move);
  host.addEventListener('pointerup', up);
  host.addEventListener('wheel', wheel, { passive: false });
  host.addEventListener('dblclick', dbl);
  return () => {
    host.removeEventListener('pointerdown', down);
    host.removeEventListener('pointermove', move);
    host.removeEventListener('pointerup', up);
    host.removeEventListener('wheel', wheel);
    host.removeEventListener('dblclick', dbl);
  };
}
