// CineDriver: the one requestAnimationFrame loop of a viewer. Every cell is
// ticked with the same refresh timestamp, so cells share one clock. With
// synchronized review on (setSync), one master clock (SyncClock, in cardiac
// cycles) drives every multi-frame cell: each tick the driver advances it
// (holding while a due frame is not decoded in some cell) and gives each
// cell's playback the media time due at the master position.

import type { CineCell } from './cine-cell';
import { SyncClock, frameAtPosition, mediaAtPosition, meanCycleMs, positionOfFrame } from './sync';

export class CineDriver {
  private readonly cells = new Set<CineCell>();
  private handle = 0;
  private running = false;
  private clock: SyncClock | null = null;
  private readonly following = new Set<CineCell>();
  private fresh = false; // sync just switched on: the transport state is not taken yet

  add(cell: CineCell): void {
    this.cells.add(cell);
    this.start();
  }
  remove(cell: CineCell): void {
    this.cells.delete(cell);
    this.following.delete(cell);
  }
  stop(): void {
    this.running = false;
    cancelAnimationFrame(this.handle);
  }

  get synced(): boolean {
    return this.clock !== null;
  }
  // Switches synchronized review on (every loop restarts its cycle together,
  // playing) or off (each loop keeps its own clock from where it is).
  setSync(on: boolean): void {
    if (on === this.synced) return;
    if (on) {
      this.clock = new SyncClock();
      this.following.clear();
      this.fresh = true;
    } else {
      this.clock = null;
      for (const cell of this.following) {
        const p = cell.playback!;
        p.follow = null;
        p.window = { first: 0, last: -1 };
        if (p.playing) {
          p.pause();
          p.play();
        }
      }
      this.following.clear();
    }
  }
  // Synchronized transport (for the keyboard): null when sync is off.
  get master(): SyncClock | null {
    return this.clock;
  }
  togglePlay(): void {
    const c = this.clock;
    if (!c) return;
    if (c.playing) c.pause();
    else c.play();
    for (const cell of this.following) {
      if (c.playing) cell.playback!.play();
      else cell.playback!.pause();
    }
  }
  setSpeed(speed: number): void {
    const c = this.clock;
    if (!c) return;
    for (const cell of this.following) cell.playback!.speed = speed;
    const first = [...this.following][0];
    c.speed = first ? first.playback!.speed : speed;
  }
  // Pauses every synced cell on the frames at the phase of `reference`'s
  // frame moved by `delta` frames (or at its frame `frame` when given).
  step(reference: CineCell, delta: number, frame?: number): void {
    const c = this.clock;
    const p = reference.playback;
    if (!c || !p) return;
    c.pause();
    if (frame === undefined) p.step(delta);
    else p.seek(frame);
    const position = positionOfFrame(reference.cycles, p.timeline, p.targetFrame);
    c.position = position;
    for (const cell of this.following) {
      if (cell === reference) continue;
      cell.playback!.seek(frameAtPosition(cell.cycles, cell.playback!.timeline, position));
    }
  }

  private syncTick(now: number): void {
    const c = this.clock!;
    const members: CineCell[] = [];
    for (const cell of this.cells) if (cell.playback && cell.playback.frameCount > 1) members.push(cell);
    if (this.fresh && members.length > 0) {
      // The synced transport plays when any loop plays (new cells auto-play).
      this.fresh = false;
      if (members.some((m) => m.playback!.playing)) c.play();
      else c.pause();
    }
    for (const cell of members) {
      if (this.following.has(cell)) continue;
      this.following.add(cell);
      const p = cell.playback!;
      p.window = { first: cell.cycles.firstFrame, last: cell.cycles.lastFrame };
      p.speed = c.speed;
      if (c.playing) {
        p.pause();
        p.play();
      } else p.seek(frameAtPosition(cell.cycles, p.timeline, c.position));
      p.resync();
    }
    // The slowest cycle sets the pace (no loop plays faster than acquired);
    // a hiccup advances at most one frame of the fastest loop.
    let cycleMs = 0;
    for (const cell of members) cycleMs = Math.max(cycleMs, meanCycleMs(cell.cycles));
    if (cycleMs <= 0) return;
    let minFrameWall = Infinity;
    for (const cell of members) {
      const t = cell.playback!.timeline;
      minFrameWall = Math.min(minFrameWall, ((t.durationMs / t.frameCount) * cycleMs) / meanCycleMs(cell.cycles));
    }
    c.cycleMs = cycleMs;
    c.maxStepMs = Math.max(20, minFrameWall);
    const next = c.candidate(now);
    const due = members.map((cell) => mediaAtPosition(cell.cycles, cell.playback!.timeline, next));
    if (members.every((cell, i) => cell.playback!.isReadyAt(due[i]!))) c.commit(now, next);
    else {
      c.hold(now);
      members.forEach((cell, i) => cell.playback!.held(due[i]!));
    }
    for (const cell of members) cell.playback!.follow = mediaAtPosition(cell.cycles, cell.playback!.timeline, c.position);
  }

  private start(): void {
    if (this.running) return;
    this.running = true;
    const frame = (now: number) => {
      if (!this.running) return;
      if (this.clock) this.syncTick(now);
      for (const cell of this.cells) cell.tick(now);
      this.handle = requestAnimationFrame(frame);
    };
    this.handle = requestAnimationFrame(frame);
  }
}
