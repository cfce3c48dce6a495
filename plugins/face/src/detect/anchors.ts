/**
 * MediaPipe's SSD anchors for BlazeFace (`SsdAnchorsCalculator` with the face-detection options):
 * 4 layers, anchor offset 0.5, fixed anchor size 1, one aspect ratio plus the interpolated scale,
 * so 2 anchors per cell. Consecutive layers with the same stride share one grid, which makes the
 * 128×128 model (strides 8, 16, 16, 16) a 16×16 grid with 2 anchors per cell and an 8×8 grid
 * with 6: 512 + 384 = 896 anchors. The 256×256 model uses strides 16, 32, 32, 32: the same grids.
 */
export interface Anchor {
  /** Centre, normalised to the model's input (0..1). */
  x: number;
  y: number;
}

export interface AnchorOptions {
  inputSize: number;
  strides: readonly number[];
  /** Anchors per layer at one cell (MediaPipe: 1 aspect ratio + 1 interpolated scale). */
  anchorsPerLayer?: number;
  offset?: number;
}

export function ssdAnchors(options: AnchorOptions): Anchor[] {
  const { inputSize, strides } = options;
  const perLayer = options.anchorsPerLayer ?? 2;
  const offset = options.offset ?? 0.5;
  const anchors: Anchor[] = [];
  let layer = 0;
  while (layer < strides.length) {
    const stride = strides[layer] as number;
    let repeats = 0;
    while (layer < strides.length && strides[layer] === stride) {
      repeats += perLayer;
      layer++;
    }
    const cells = Math.ceil(inputSize / stride);
    for (let y = 0; y < cells; y++) {
      for (let x = 0; x < cells; x++) {
        for (let k = 0; k < repeats; k++) anchors.push({ x: (x + offset) / cells, y: (y + offset) / cells });
      }
    }
  }
  return anchors;
}
