#!/bin/sh
# Standalone tests of the Python and C frame-export readers against exports made by
# test/readers/make_fake_export.py (no VAS, no TypeScript writer needed).
#
# Usage: test/readers/test_readers_standalone.sh [unittest args, e.g. -v or -k restart]
# Needs /usr/bin/python3 (Debian's, with python3-numpy, python3-venv, python3-setuptools and
# python3-wheel: scripts/setup.sh), gcc and ffmpeg (the colour oracle).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
python=${VAS_READERS_PYTHON:-/usr/bin/python3}
exec "$python" -m unittest discover -s "$here" -t "$here" -p 'test_*.py' "$@"
