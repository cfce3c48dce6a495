/**
 * Beat tracking on mono PCM: an onset-strength envelope (half-wave rectified rise of log energy in
 * short frames), the tempo from the envelope's autocorrelation (with a mild preference for
 * 80–160 BPM against octave errors), the beat phase that best lines up with the onsets, each
 * beat pulled to its nearest onset peak, and the tempo refined by a least-squares fit of the
 * beat times.
 */
export interface BeatAnalysis {
  bpm: number;
  /** Beat times in seconds. */
  beats: number[];
  /** Onset times (peaks of the envelope) in seconds. */
  onsets: number[];
  durationS: number;
}

export const BEAT_SAMPLE_RATE = 22050;

export function detectBeats(pcm: Float32Array, sampleRate = BEAT_SAMPLE_RATE, opts: { minBpm?: number; maxBpm?: number } = {}): BeatAnalysis {
  const hop = Math.round(sampleRate * 0.005); // 5 ms frames: beats to within a few ms
  const win = hop * 2;
  const frames = Math.max(0, Math.floor((pcm.length - win) / hop));
  const durationS = pcm.length / sampleRate;
  const energy = new Float64Array(frames);
  for (let f = 0; f < frames; f++) {
    let e = 0;
    const o = f * hop;
    for (let i = 0; i < win; i++) {
      const s = pcm[o + i] as number;
      e += s * s;
    }
    energy[f] = Math.log(1e-10 + e / win);
  }
  // Onset strength: how much louder this frame is than the recent past.
  const env = new Float64Array(frames);
  for (let f = 3; f < frames; f++) {
    const past = Math.max(energy[f - 1] as number, energy[f - 2] as number, energy[f - 3] as number);
    env[f] = Math.max(0, (energy[f] as number) - past);
  }
  const mean = env.reduce((a, b) => a + b, 0) / Math.max(1, frames);
  for (let f = 0; f < frames; f++) env[f] = Math.max(0, (env[f] as number) - mean);
  const frameRate = sampleRate / hop;
  const toTime = (f: number) => (f * hop + win / 2) / sampleRate;

  // Onset peaks: local maxima above a fraction of the strongest.
  const max = env.reduce((a, b) => Math.max(a, b), 0);
  const onsets: number[] = [];
  const minGap = Math.round(0.05 * frameRate);
  let lastPeak = -minGap;
  for (let f = 1; f < frames - 1; f++) {
    const v = env[f] as number;
    if (v > 0.3 * max && v >= (env[f - 1] as number) && v > (env[f + 1] as number) && f - lastPeak >= minGap) {
      onsets.push(toTime(f));
      lastPeak = f;
    }
  }
  if (max === 0 || onsets.length < 2) return { bpm: 0, beats: [], onsets, durationS };

  // Tempo: autocorrelation of the envelope over the plausible beat periods.
  const minLag = Math.floor((60 / (opts.maxBpm ?? 200)) * frameRate);
  const maxLag = Math.min(frames - 1, Math.ceil((60 / (opts.minBpm ?? 60)) * frameRate));
  let bestLag = minLag;
  let bestScore = -1;
  const scores = new Float64Array(maxLag + 2);
  for (let lag = minLag; lag <= maxLag; lag++) {
    let s = 0;
    for (let f = 0; f + lag < frames; f++) s += (env[f] as number) * (env[f + lag] as number);
    s /= frames - lag;
    scores[lag] = s;
    const bpm = (60 * frameRate) / lag;
    const prior = Math.exp(-0.5 * (Math.log2(bpm / 120) / 0.9) ** 2);
    if (s * prior > bestScore) {
      bestScore = s * prior;
      bestLag = lag;
    }
  }
  const period = bestLag; // frames

  // Phase: the offset whose comb of beats collects the most onset strength.
  let bestPhase = 0;
  let bestSum = -1;
  for (let p = 0; p < period; p++) {
    let s = 0;
    for (let f = p; f < frames; f += period) s += (env[f] as number) + 0.5 * ((env[f - 1] ?? 0) + (env[f + 1] ?? 0));
    if (s > bestSum) {
      bestSum = s;
      bestPhase = p;
    }
  }
  // Beats: walk the comb, pulling each beat to the strongest envelope frame within ±10% of a period.
  const beats: number[] = [];
  const reach = Math.max(1, Math.round(period * 0.1));
  for (let f = bestPhase; f < frames; f += period) {
    let at = f;
    for (let d = -reach; d <= reach; d++) if ((env[f + d] ?? -1) > (env[at] ?? -1)) at = f + d;
    if ((env[at] as number) > 0.1 * max) beats.push(toTime(at));
    f = at;
  }
  // Tempo refined from the beat times themselves (least squares of time against beat number).
  let bpm = (60 * frameRate) / period;
  if (beats.length >= 3) {
    const idx = beats.map((t) => Math.round((t - (beats[0] as number)) / (period / frameRate)));
    const n = beats.length;
    const mx = idx.reduce((a, b) => a + b, 0) / n;
    const my = beats.reduce((a, b) => a + b, 0) / n;
    let num = 0;
    let den = 0;
    for (let i = 0; i < n; i++) {
      num += ((idx[i] as number) - mx) * ((beats[i] as number) - my);
      den += ((idx[i] as number) - mx) ** 2;
    }
    if (den > 0 && num > 0) bpm = 60 / (num / den);
  }
  return { bpm: Math.round(bpm * 100) / 100, beats: beats.map((t) => Math.round(t * 1000) / 1000), onsets, durationS };
}
