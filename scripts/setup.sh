#!/usr/bin/env bash
# System packages for the tests and the demo: FFmpeg, GStreamer's RTSP server (the camera
# simulator, run with Debian's /usr/bin/python3), numpy for the Python reader's array(), venv,
# setuptools and wheel for the test that pip-installs the Python reader offline, gcc for the C
# reader, Chromium for the WebRTC viewer. Installs only what is missing; needs root for apt-get.
# Then the mediasoup worker of the end-to-end tests: reused from the machine's cache, or built
# once (scripts/mediasoup-worker.sh; about 5 to 12 min on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."

worker() {
  local bin
  bin="$(bash scripts/mediasoup-worker.sh)" || exit 1
  echo "setup: mediasoup worker $bin"
}

missing=()
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
if ! /usr/bin/python3 - <<'PY' >/dev/null 2>&1
import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import Gst, GstRtspServer
Gst.init(None)
for name in ("appsrc", "x264enc", "rtph264pay", "videoconvert"):
    assert Gst.ElementFactory.find(name) is not None, name
PY
then
  missing+=(python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly)
fi
/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1 || missing+=(python3-numpy)
/usr/bin/python3 -c 'import ensurepip, venv, setuptools, wheel' >/dev/null 2>&1 || missing+=(python3-venv python3-setuptools python3-wheel)
command -v gcc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
# Headless Chromium: the end-to-end tests' WebRTC viewer of VAS's MediaSoup.
[ -x /usr/lib/chromium/chromium ] || missing+=(chromium)

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: system packages present"
  worker
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing Debian packages: ${missing[*]}; run as root: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "setup: installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
worker
