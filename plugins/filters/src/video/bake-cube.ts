/**
 * A colour program as a `.cube` 3D table, for tools that take one (ffmpeg's `lut3d`). The
 * renderer keeps the per-channel shaper exact in 1D tables; a `.cube` has only the grid, so the
 * shaper is folded into every node here and the grid is sized to keep that close (65³ for renders).
 */
import { type CubeLut, formatCube } from "../render/color/cube.js";
import type { ColorProgram } from "../render/color/program.js";

export function programToCube(program: ColorProgram, size: number, title: string): CubeLut {
  const data = new Float32Array(size * size * size * 3);
  const rgb = new Float64Array(3);
  const [sr, sg, sb] = program.shaper;
  let k = 0;
  // Red fastest, as .cube files order their rows.
  for (let b = 0; b < size; b++)
    for (let g = 0; g < size; g++)
      for (let r = 0; r < size; r++) {
        rgb[0] = sr(r / (size - 1));
        rgb[1] = sg(g / (size - 1));
        rgb[2] = sb(b / (size - 1));
        program.mix?.(rgb);
        for (let c = 0; c < 3; c++) data[k++] = Math.min(1, Math.max(0, rgb[c] as number));
      }
  return { kind: "3d", title, size, domainMin: [0, 0, 0], domainMax: [1, 1, 1], data };
}

export const cubeText = (program: ColorProgram, size: number, title: string): string => formatCube(programToCube(program, size, title));
