/**
 * VAS's MediaSoup for the end-to-end tests: the real worker, built by scripts/setup.sh
 * (scripts/mediasoup-worker.sh). Without it these tests fail with the reason and the command
 * that builds it: they exist to prove VAS's streaming to viewers, which a UDP socket cannot.
 */
import { findMediasoupWorker } from '../../fixtures/mediasoup/worker-bin';
import { VasMediasoupServer } from '../../fixtures/mediasoup/vas-mediasoup-server';
import { repoRoot } from '../../fixtures/vas-host';

export async function startVasMediasoup(): Promise<VasMediasoupServer> {
  const lookup = findMediasoupWorker(repoRoot());
  if (!lookup.found) {
    throw new Error(`these tests need a real mediasoup worker: ${lookup.reason} (bash scripts/setup.sh builds it, about 12 min once per machine)`);
  }
  return VasMediasoupServer.start({ workerBin: lookup.path });
}
