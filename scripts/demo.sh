#!/usr/bin/env bash
# The newcomer's first command: everything set up (Debian packages, npm ci, the mediasoup
# worker built or reused), then the demo: simulated RTSP cameras -> the patched reference VAS
# host -> MediaSoup viewers + frames in shared memory, ending with one PNG per camera, named.
# Usage: bash scripts/demo.sh [--seconds N] [--snapshots DIR]   (defaults: 10 s, ./demo-snapshots)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm ci
seconds=10
snapshots=demo-snapshots
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --snapshots) snapshots="$2"; shift 2 ;;
    *) echo "usage: bash scripts/demo.sh [--seconds N] [--snapshots DIR]" >&2; exit 2 ;;
  esac
done
npm run demo -- --seconds "$seconds" --snapshots "$snapshots"
