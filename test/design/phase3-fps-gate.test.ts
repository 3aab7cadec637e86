import { expect } from 'chai';

/*
 * Simulation for docs/phase-3-ruth-ai-core.md, section 5 (Phase 3.3, FPS gate). Phase 3 is design
 * only: nothing here is product code. It checks the document's rule against the property the
 * document states, over a grid of camera rates, desired rates, frame-time scenarios and model
 * endpoints, and prints the delivered fraction.
 *
 * Property (per subscription): every half-open window [a, a + 1/f) of frame time (the frames' own
 * timestamp_ns) contains at most one dispatch. The checker tests it on the windows themselves, in
 * exact integer arithmetic, independently of the gate's own integer period.
 *
 * Alone, with its report: npm run build && npx mocha --no-config dist/test/design/phase3-fps-gate.test.js
 */

const NS_PER_S = 1_000_000_000;

/** A rate in frames per second, as the exact fraction num / den. */
interface Rate { num: number; den: number; label: string }

const rate = (num: number, den = 1): Rate => ({ num, den, label: String(Math.round((num / den) * 100) / 100) });

const CAMERA_RATES: Rate[] = [rate(5), rate(10), rate(25, 2), rate(15), rate(20), rate(24), rate(25),
  rate(30000, 1001), rate(30), rate(50), rate(60000, 1001), rate(60)];
const DESIRED_RATES: Rate[] = [rate(1, 10), rate(1, 4), rate(1, 3), rate(1, 2), rate(1), rate(2), rate(3), rate(5),
  rate(11, 2), rate(7), rate(10), rate(12), rate(25, 2), rate(15), rate(20), rate(24), rate(25), rate(30000, 1001),
  rate(30), rate(45), rate(60000, 1001), rate(60)];

/** The gate's period: the smallest integer number of ns P with P * f >= 1 s (document 5.1). */
function periodNs(f: Rate): number {
  const p = Math.floor((NS_PER_S * f.den + f.num - 1) / f.num);
  if (p * f.num < NS_PER_S * f.den || (p - 1) * f.num >= NS_PER_S * f.den) throw new Error(`period of ${f.label}`);
  return p;
}

/** Deterministic PRNG (mulberry32), so the report is reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How commit times deviate from the camera's nominal cadence, and what the agent misses. */
interface Scenario {
  name: string;
  jitter: number;            // commit delay, uniform in [0, jitter * frame interval)
  burstPerFrame: number;     // chance that 1..9 frames are held back, then committed 1 ms apart just before the next
  stallPerFrame: number;     // chance of a camera stall or export restart (new generation): 0.3..4 s without frames
  agentDelayPerFrame: number;// chance that the agent is delayed 10..600 ms; frames committed meanwhile are superseded
}

const SCENARIOS: Scenario[] = [
  { name: 'clean', jitter: 0, burstPerFrame: 0, stallPerFrame: 0, agentDelayPerFrame: 0 },
  { name: 'jitter', jitter: 0.3, burstPerFrame: 0, stallPerFrame: 0, agentDelayPerFrame: 0 },
  { name: 'jitter+bursts', jitter: 0.9, burstPerFrame: 0.01, stallPerFrame: 0, agentDelayPerFrame: 0 },
  { name: 'gaps', jitter: 0.3, burstPerFrame: 0.005, stallPerFrame: 0.002, agentDelayPerFrame: 0.01 },
];

/** Timestamps (ns, non-decreasing: one writer commits in frame-id order) of the frames the agent sees. */
function seenFrames(camera: Rate, scenario: Scenario, durationNs: number, rand: () => number): number[] {
  const interval = (NS_PER_S * camera.den) / camera.num;
  const commits: number[] = [];
  let last = -1;
  let held = 0;                          // frames of the current burst still to come, this one included
  let pending = 0;                       // frames held back so far
  for (let n = 0; ; n++) {
    let nominal = Math.round(n * interval);
    if (nominal >= durationNs) break;
    if (rand() < scenario.stallPerFrame) {
      const skip = Math.ceil((0.3e9 + rand() * 3.7e9) / interval);
      n += skip;
      nominal = Math.round(n * interval);
      if (nominal >= durationNs) break;
    }
    if (held === 0 && rand() < scenario.burstPerFrame) held = 2 + Math.floor(rand() * 9);
    if (held > 1) {
      held--;
      pending++;
      continue;                          // held back by the camera or the network: committed in the burst below
    }
    held = 0;
    const t = Math.max(last + 1, nominal + Math.floor(rand() * scenario.jitter * interval));
    for (; pending > 0; pending--) commits.push((last = Math.max(last + 1, t - pending * 1_000_000)));
    commits.push((last = t));
  }
  if (scenario.agentDelayPerFrame === 0) return commits;
  // The agent sees the latest frame when it looks; frames superseded while it was delayed are never seen.
  const seen: number[] = [];
  let resumeAt = -1;
  for (let i = 0; i < commits.length; i++) {
    const t = commits[i]!;
    const next = commits[i + 1];
    if (t < resumeAt && next !== undefined && next < resumeAt) continue;
    seen.push(t);
    if (rand() < scenario.agentDelayPerFrame) resumeAt = t + 10_000_000 + Math.floor(rand() * 590_000_000);
  }
  return seen;
}

/** A gate decides on each new frame; record() is called only when the endpoint took the frame. */
interface Gate { allow(t: number): boolean; record(t: number): void }

/** The document's rule (canonical 6.3): dispatch if at least P ns of frame time passed since the last dispatch. */
class ElapsedGate implements Gate {
  private last: number | undefined;
  constructor(private readonly p: number) {}
  allow(t: number): boolean { return this.last === undefined || t - this.last >= this.p; }
  record(t: number): void { this.last = t; }
}

/** The previous revision's rule: a fixed grid with a 10 ms tolerance. Kept only to show that the check can fail. */
class GridToleranceGate implements Gate {
  private next: number | undefined;
  private readonly tau: number;
  constructor(private readonly p: number) { this.tau = Math.min(10_000_000, Math.floor(p / 2)); }
  allow(t: number): boolean { return this.next === undefined || t + this.tau >= this.next; }
  record(t: number): void {
    this.next = this.next === undefined ? t + this.p : this.next + this.p * (1 + Math.floor((t + this.tau - this.next) / this.p));
  }
}

/** A model endpoint whose non-blocking offer() refuses while the model is still busy (frame time). */
type Endpoint = { name: string; serviceNs(p: number, rand: () => number): number };
const ENDPOINTS: Endpoint[] = [
  { name: 'free', serviceNs: () => 0 },
  { name: 'busy', serviceNs: (p, rand) => Math.floor(rand() * 3 * p) },
];

function dispatch(frames: number[], gate: Gate, p: number, endpoint: Endpoint, rand: () => number): number[] {
  const out: number[] = [];
  let busyUntil = -1;
  for (const t of frames) {
    if (!gate.allow(t)) continue;      // not due: skipped
    if (t < busyUntil) continue;        // due, but the endpoint cannot take it now: skipped, nothing recorded
    gate.record(t);
    out.push(t);
    busyUntil = t + endpoint.serviceNs(p, rand);
  }
  return out;
}

/** (d_j - d_i) * num, refusing results that a double cannot hold exactly. */
function scaled(diff: number, num: number): number {
  const v = diff * num;
  if (!Number.isSafeInteger(v)) throw new Error(`inexact product ${diff} * ${num}`);
  return v;
}

/**
 * Windows over the maximum. Every window holding k dispatches can slide right to start at its
 * first dispatch and still hold them, so checking the windows anchored at dispatches is complete.
 * Returns [windows of length 1/f holding more than 1, windows of 1 s holding more than ceil(f)].
 */
function windowsOverMax(d: number[], f: Rate): [number, number] {
  const limit = NS_PER_S * f.den;          // d_j in [d_i, d_i + 1/f)  <=>  (d_j - d_i) * num < 1e9 * den
  const perSecond = Math.ceil(f.num / f.den);
  let overPeriod = 0;
  let overSecond = 0;
  let j = 0;
  let k = 0;
  for (let i = 0; i < d.length; i++) {
    if (j < i) j = i;
    while (j < d.length && scaled(d[j]! - d[i]!, f.num) < limit) j++;
    if (j - i > 1) overPeriod++;
    if (k < i) k = i;
    while (k < d.length && d[k]! - d[i]! < NS_PER_S) k++;
    if (k - i > perSecond) overSecond++;
  }
  return [overPeriod, overSecond];
}

/** The most dispatches any rule keeping the property could make from these frames (always-free endpoint). */
function optimumCount(frames: number[], p: number): number {
  const best = new Int32Array(frames.length + 1);   // best[k]: optimum over the first k frames
  let j = 0;                                          // frames[0..j) are at least p before frames[i]
  for (let i = 0; i < frames.length; i++) {
    while (j < i && frames[i]! - frames[j]! >= p) j++;
    best[i + 1] = Math.max(best[i]!, 1 + best[j]!);
  }
  return best[frames.length]!;
}

interface RunResult { camera: Rate; desired: Rate; scenario: string; endpoint: string; frames: number; dispatches: number;
  over: [number, number]; delivered: number; optimum: number }

function runGrid(makeGate: (p: number) => Gate): RunResult[] {
  const results: RunResult[] = [];
  let seed = 1;
  for (const camera of CAMERA_RATES) {
    for (const desired of DESIRED_RATES) {
      const durationNs = Math.max(60, Math.ceil((40 * desired.den) / desired.num)) * NS_PER_S;
      const p = periodNs(desired);
      for (const scenario of SCENARIOS) {
        const frames = seenFrames(camera, scenario, durationNs, prng(seed++));
        for (const endpoint of ENDPOINTS) {
          const d = dispatch(frames, makeGate(p), p, endpoint, prng(seed++));
          const ceiling = (Math.min(desired.num / desired.den, camera.num / camera.den) * durationNs) / NS_PER_S;
          results.push({ camera, desired, scenario: scenario.name, endpoint: endpoint.name, frames: frames.length,
            dispatches: d.length, over: windowsOverMax(d, desired), delivered: d.length / ceiling,
            optimum: endpoint.name === 'free' ? optimumCount(frames, p) : -1 });
        }
      }
    }
  }
  return results;
}

function spread(values: number[]): string {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!.toFixed(3);
  return `${at(0)}/${at(0.5)}/${s[s.length - 1]!.toFixed(3)}`;
}

/** Frame ids (from 1) a gate dispatches on a camera whose frame n commits at round((n - 1) * 1e9 / C). */
function periodicIds(camera: Rate, desired: Rate, frames: number, makeGate: (p: number) => Gate, offsetNs = 0): number[] {
  const gate = makeGate(periodNs(desired));
  const ids: number[] = [];
  for (let n = 1; n <= frames; n++) {
    const t = offsetNs + Math.round(((n - 1) * NS_PER_S * camera.den) / camera.num);
    if (gate.allow(t)) { gate.record(t); ids.push(n); }
  }
  return ids;
}

describe('design: Phase 3 FPS gate simulation (docs/phase-3-ruth-ai-core.md section 5)', () => {
  const elapsed = (p: number) => new ElapsedGate(p);
  const grid = (p: number) => new GridToleranceGate(p);

  it('reproduces the document\'s worked examples on a 30 fps camera', () => {
    const cam = rate(30);
    expect(periodicIds(cam, rate(1), 61, elapsed)).to.deep.equal([1, 31, 61]);
    expect(periodicIds(cam, rate(5), 31, elapsed)).to.deep.equal([1, 7, 13, 19, 25, 31]);
    expect(periodicIds(cam, rate(7), 31, elapsed)).to.deep.equal([1, 6, 11, 16, 21, 26, 31]);
    expect(periodicIds(cam, rate(25), 9, elapsed)).to.deep.equal([1, 3, 5, 7, 9]);
    expect(periodicIds(cam, rate(30), 5, elapsed)).to.deep.equal([1, 3, 5]);
    expect(periodicIds(cam, rate(60), 5, elapsed)).to.deep.equal([1, 2, 3, 4, 5]);
  });

  it('the checker catches the previous revision\'s grid gate: two 1 fps dispatches 999,999,990 ns apart', () => {
    // The previous revision's own example: 30 fps with frame n at (n - 1) * 33,333,333 ns.
    const frames = Array.from({ length: 61 }, (_, i) => i * 33_333_333);
    const byGrid = dispatch(frames, grid(periodNs(rate(1))), 0, ENDPOINTS[0]!, prng(1));
    expect(byGrid.slice(0, 2)).to.deep.equal([0, 999_999_990]);
    expect(windowsOverMax(byGrid, rate(1))[0]).to.be.greaterThan(0);
    const byElapsed = dispatch(frames, elapsed(periodNs(rate(1))), 0, ENDPOINTS[0]!, prng(1));
    expect(byElapsed.slice(0, 2)).to.deep.equal([0, 1_033_333_323]);
    expect(windowsOverMax(byElapsed, rate(1))).to.deep.equal([0, 0]);
  });

  it('over the whole grid: 0 windows over the maximum; as many frames as any rule keeping the property', () => {
    const results = runGrid(elapsed);
    const windows = results.reduce((s, r) => s + r.dispatches, 0);
    const overPeriod = results.reduce((s, r) => s + r.over[0], 0);
    const overSecond = results.reduce((s, r) => s + r.over[1], 0);
    const free = results.filter((r) => r.endpoint === 'free');
    const notOptimal = free.filter((r) => r.dispatches !== r.optimum);
    const oldGrid = runGrid(grid);
    const oldOver = oldGrid.reduce((s, r) => s + r.over[0], 0);
    const oldRuns = oldGrid.filter((r) => r.over[0] > 0).length;

    const lines = [
      `grid: ${CAMERA_RATES.length} camera rates (5-60 fps) x ${DESIRED_RATES.length} desired rates (0.1-60 fps) x ` +
        `${SCENARIOS.length} scenarios (${SCENARIOS.map((s) => s.name).join(', ')}) x ${ENDPOINTS.length} endpoints ` +
        `(free, busy) = ${results.length} runs; ${free.reduce((s, r) => s + r.frames, 0)} frames seen, ${windows} dispatches`,
      `elapsed gate: windows of 1/f holding more than 1 dispatch: ${overPeriod} of ${windows}; ` +
        `1 s windows holding more than ceil(f): ${overSecond}`,
      `elapsed gate, free endpoint: dispatches equal the optimum under the property in ${free.length - notOptimal.length} of ${free.length} runs`,
    ];
    const ratio = (r: RunResult) => (r.desired.num * r.camera.den) / (r.desired.den * r.camera.num);
    const buckets: Array<[string, (x: number) => boolean]> = [['f <= C/2', (x) => x <= 0.5], ['C/2 < f <= C', (x) => x > 0.5 && x <= 1],
      ['C < f < 2C', (x) => x > 1 && x < 2], ['f >= 2C', (x) => x >= 2]];
    for (const endpoint of ENDPOINTS) {
      lines.push(`delivered fraction = dispatches / (min(f, C) x seconds), ${endpoint.name} endpoint, min/median/max:`);
      for (const scenario of SCENARIOS) {
        const rs = results.filter((r) => r.endpoint === endpoint.name && r.scenario === scenario.name);
        lines.push(`  ${scenario.name.padEnd(13)} all ${spread(rs.map((r) => r.delivered))}; ` +
          buckets.map(([name, test]) => `${name}: ${spread(rs.filter((r) => test(ratio(r))).map((r) => r.delivered))}`).join('; '));
      }
    }
    lines.push(`previous grid gate (10 ms tolerance), same grid: ${oldOver} windows of 1/f over 1 dispatch, in ${oldRuns} of ${oldGrid.length} runs`);
    console.log(lines.map((l) => `      ${l}`).join('\n'));

    expect(overPeriod, 'windows of 1/f holding more than one dispatch').to.equal(0);
    expect(overSecond, '1 s windows holding more than ceil(f) dispatches').to.equal(0);
    expect(notOptimal.map((r) => `${r.desired.label} of ${r.camera.label} ${r.scenario}`)).to.deep.equal([]);
    expect(windows).to.be.greaterThan(100_000);
    expect(oldOver, 'the same check finds the previous rule over the maximum').to.be.greaterThan(0);
  });
});
