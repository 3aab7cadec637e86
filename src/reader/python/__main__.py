"""python -m vas_frames (installed package): the reader's command line."""
import sys

from .vas_frames import main

sys.exit(main())
