// A decoded frame as the cine cells hold it: an ImageBitmap (the browser's decoder), or the RGBA
// pixels of a JPEG frame decoded in a worker by libjpeg-turbo (jpeg-wasm.ts), put into a canvas
// only when the frame is shown. The pixels skip the ImageBitmap's creation, which costs more than
// decoding itself in software-rendered Chromium (see jpeg-wasm.ts for the figures).

export type DecodedFrame = ImageBitmap | ImageData;

// The pixels as a worker sends them (the buffer is transferred, not copied).
export interface RawFrame {
  width: number;
  height: number;
  rgba: ArrayBuffer;
}
export type WireFrame = ImageBitmap | RawFrame;

// A frame as the server sent it (a rendered JPEG), kept to be decoded again when next shown.
export interface EncodedFrame {
  data: ArrayBuffer;
  type: string;
}

export function fromWire(frame: WireFrame): DecodedFrame {
  if ('rgba' in frame) return new ImageData(new Uint8ClampedArray(frame.rgba), frame.width, frame.height);
  return frame;
}

export function releaseFrame(frame: DecodedFrame): void {
  if ('close' in frame) frame.close(); // ImageData: its memory goes with its last reference
}

// Turns a decoded frame into something drawImage can scale: a bitmap as it is, pixels through a
// canvas of their size (reused; filled again only when the frame changes).
export class FrameCanvas {
  private canvas: HTMLCanvasElement | undefined;
  private ctx: CanvasRenderingContext2D | null = null;
  private holds: ImageData | undefined;

  source(frame: DecodedFrame): CanvasImageSource | undefined {
    if ('close' in frame) return frame;
    if (frame === this.holds) return this.canvas;
    if (!this.canvas) {
      this.canvas = document.createElement('canvas');
      this.ctx = this.canvas.getContext('2d', { alpha: false });
    }
    if (!this.ctx) return undefined;
    if (this.canvas.width !== frame.width || this.canvas.height !== frame.height) {
      this.canvas.width = frame.width;
      this.canvas.height = frame.height;
    }
    this.ctx.putImageData(frame, 0, 0);
    this.holds = frame;
    return this.canvas;
  }

  // Lets go of the last frame's pixels (the loop closed).
  clear(): void {
    this.holds = undefined;
  }
}
