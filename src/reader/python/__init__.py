"""The installed package `vas_frames`: the reader is the module vas_frames.py beside this file
(one file, usable by copying); see its docstring."""
from .vas_frames import *  # noqa: F401,F403
from .vas_frames import __all__, __doc__, main  # noqa: F401
