import { describe, expect, it } from 'vitest';
import { frameAt, frameTimeline, timelineFromFrameTimeVector } from './frame-timing';
import { Tag, type DicomJson } from './dicom-json';

function ds(attrs: Record<string, [string, unknown[]]>): DicomJson {
  const out: DicomJson = {};
  for (const [tag, [vr, value]] of Object.entries(attrs)) out[tag] = { vr, Value: value };
  return out;
}

describe('frameTimeline', () => {
  it('uses FrameTime (ms per frame)', () => {
    const t = frameTimeline(ds({ [Tag.NumberOfFrames]: ['IS', ['34']], [Tag.FrameTime]: ['DS', ['30']] }));
    expect(t.source).toBe('FrameTime');
    expect(t.frameCount).toBe(34);
    expect(t.durationMs).toBeCloseTo(1020);
    expect(t.fps).toBeCloseTo(33.333, 2);
    expect(t.startsMs[33]).toBeCloseTo(990);
  });

  it('prefers FrameTimeVector, whose first value is 0 and last frame lasts the mean interval', () => {
    const t = frameTimeline(
      ds({
        [Tag.NumberOfFrames]: ['IS', [4]],
        [Tag.FrameTime]: ['DS', [99]],
        [Tag.FrameTimeVector]: ['DS', [0, 20, 40, 30]],
      }),
    );
    expect(t.source).toBe('FrameTimeVector');
    expect(Array.from(t.startsMs)).toEqual([0, 20, 60, 90]);
    expect(t.durationMs).toBeCloseTo(120);
  });

  it('ignores a FrameTimeVector of the wrong length and falls back', () => {
    const t = frameTimeline(
      ds({ [Tag.NumberOfFrames]: ['IS', [3]], [Tag.FrameTimeVector]: ['DS', [0, 10]], [Tag.CineRate]: ['IS', [25]] }),
    );
    expect(t.source).toBe('CineRate');
    expect(t.startsMs[2]).toBeCloseTo(80);
  });

  it('falls back to RecommendedDisplayFrameRate, then to a stated default', () => {
    expect(frameTimeline(ds({ [Tag.NumberOfFrames]: ['IS', [2]], [Tag.RecommendedDisplayFrameRate]: ['IS', [50]] })).startsMs[1]).toBeCloseTo(20);
    const d = frameTimeline(ds({ [Tag.NumberOfFrames]: ['IS', [2]] }));
    expect(d.source).toBe('default');
    expect(d.fps).toBeCloseTo(30);
  });

  it('treats a single frame as a one-frame loop', () => {
    const t = frameTimeline(ds({}));
    expect(t.frameCount).toBe(1);
  });

  it('refuses non-positive intervals in a FrameTimeVector', () => {
    expect(timelineFromFrameTimeVector(3, [0, 0, 10])).toBeUndefined();
  });
});

describe('frameAt', () => {
  const t = timelineFromFrameTimeVector(4, [0, 20, 40, 30])!;
  it('finds the frame due at a time', () => {
    expect(frameAt(t, 0)).toBe(0);
    expect(frameAt(t, 19.9)).toBe(0);
    expect(frameAt(t, 20)).toBe(1);
    expect(frameAt(t, 59)).toBe(1);
    expect(frameAt(t, 60)).toBe(2);
    expect(frameAt(t, 119)).toBe(3);
  });
});
