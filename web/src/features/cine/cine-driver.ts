// CineDriver: the one requestAnimationFrame loop of a viewer. Every cell is
// ticked with the same refresh timestamp, so cells share one clock (the
// basis for synchronized review).

import type { CineCell } from './cine-cell';

export class CineDriver {
  private readonly cells = new Set<CineCell>();
  private handle = 0;
  private running = false;

  add(cell: CineCell): void {
    this.cells.add(cell);
    this.start();
  }
  remove(cell: CineCell): void {
    this.cells.delete(cell);
  }
  stop(): void {
    this.running = false;
    cancelAnimationFrame(this.handle);
  }

  private start(): void {
    if (this.running) return;
    this.running = true;
    const frame = (now: number) => {
      if (!this.running) return;
      for (const cell of this.cells) cell.tick(now);
      this.handle = requestAnimationFrame(frame);
    };
    this.handle = requestAnimationFrame(frame);
  }
}
