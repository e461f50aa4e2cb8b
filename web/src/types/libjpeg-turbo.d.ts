// The parts of @cornerstonejs/codec-libjpeg-turbo-8bit (libjpeg-turbo built with Emscripten) we use.
declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs' {
  export interface FrameInfo {
    width: number;
    height: number;
    bitsPerSample: number;
    componentCount: number;
  }
  export interface JPEGDecoder {
    getEncodedBuffer(length: number): Uint8Array;
    decode(): void;
    getFrameInfo(): FrameInfo;
    getDecodedBuffer(): Uint8Array;
    delete(): void;
  }
  export interface LibJpegTurbo {
    JPEGDecoder: new () => JPEGDecoder;
  }
  const factory: (options?: { locateFile?: (file: string) => string }) => Promise<LibJpegTurbo>;
  export default factory;
}
