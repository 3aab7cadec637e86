#!/usr/bin/env bash
# The test command (what .ci/run runs): everything set up as scripts/demo.sh does (reused when
# present), then the whole suite: build, unit, contract, integration, readers, CLI, hardening,
# design and end-to-end tests. Some hardening tests need root (a tmpfs mount, another uid).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm ci
npm test
