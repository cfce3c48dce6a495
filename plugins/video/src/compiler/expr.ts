import type { VolumeKeyframe } from "../model/types.js";

/** Quotes a filter option value for the filtergraph parser (commas, colons, brackets stay literal). */
export function q(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

/** atempo takes 0.5..2 per instance: a speed outside that is a chain of them. */
export function atempoChain(speed: number): string[] {
  const out: string[] = [];
  let s = speed;
  while (s > 2 + 1e-9) {
    out.push("atempo=2");
    s /= 2;
  }
  while (s < 0.5 - 1e-9) {
    out.push("atempo=0.5");
    s /= 0.5;
  }
  if (Math.abs(s - 1) > 1e-9) out.push(`atempo=${Math.round(s * 1e6) / 1e6}`);
  return out;
}

/** A piecewise-linear gain over the clip's local time `t`, held flat before the first and after the last keyframe. */
export function volumeKeyframeExpr(keys: readonly VolumeKeyframe[]): string {
  const first = keys[0];
  if (!first) return "1";
  let expr = String((keys[keys.length - 1] as VolumeKeyframe).v);
  for (let i = keys.length - 1; i > 0; i--) {
    const a = keys[i - 1] as VolumeKeyframe;
    const b = keys[i] as VolumeKeyframe;
    expr = `if(lt(t,${b.t}),${a.v}+(${b.v - a.v})*(t-${a.t})/${b.t - a.t},${expr})`;
  }
  return `if(lt(t,${first.t}),${first.v},${expr})`;
}
