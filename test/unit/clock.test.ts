import { expect } from 'chai';
import { storeTimespecNs } from '../../src/clock/frame-clock';

describe('clock: timespec to u64 halves without BigInt', () => {
  it('matches BigInt arithmetic across the u32 range of seconds', () => {
    const target = new Int32Array(2);
    const samples: Array<[number, number]> = [[0, 0], [0, 999_999_999], [4, 294_967_295], [4, 294_967_296], [1_700_000_000, 123_456_789],
      [4_294_967_295, 999_999_999], [86_400 * 400, 1]];
    for (let i = 0; i < 2000; i++) samples.push([Math.floor(Math.random() * 4_294_967_296), Math.floor(Math.random() * 1e9)]);
    for (const [sec, nsec] of samples) {
      storeTimespecNs(sec, nsec, target, 0);
      const got = (BigInt(target[1]! >>> 0) << 32n) | BigInt(target[0]! >>> 0);
      expect(got, `${sec}.${nsec}`).to.equal(BigInt(sec) * 1_000_000_000n + BigInt(nsec));
    }
  });
});
