"""Colour oracle for the readers' NV12 -> RGB helpers (spec 3.3): FFmpeg makes NV12 pictures
(colour bars, and testsrc2 for gradients) with a BT.601 and a BT.709 matrix, in limited range
(what the tap writes) and full range, then converts that same NV12 to rgb24 with the same
matrix and range. Every helper must be within
+-3 per channel of FFmpeg: Python's nv12_to_rgb / Frame.to_rgb (numpy), its --convert command
line, OpenCV where it applies, and the C header's vas_frames_nv12_to_rgb24.

FFmpeg's conversion runs with -sws_flags neighbor+accurate_rnd+full_chroma_int: `neighbor`
gives each 2x2 block its own chroma sample, as the spec says (FFmpeg's default bicubic chroma
interpolation differs by up to 50 at the bars' colour edges); accurate_rnd and full_chroma_int
make its arithmetic exact per pixel.

Run: /usr/bin/python3 -m unittest discover -s test/readers -p 'test_*.py' -v
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import types
import unittest
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
READER_DIR = os.path.join(ROOT, 'src', 'reader', 'python')
C_DIR = os.path.join(ROOT, 'src', 'reader', 'c')
sys.path.insert(0, READER_DIR)
sys.path.insert(0, HERE)

import vas_frames as vf  # noqa: E402
from make_fake_export import FakeExport  # noqa: E402

try:
    import numpy as np
except ImportError:  # pragma: no cover
    np = None

FFMPEG = shutil.which('ffmpeg')
WIDTH, HEIGHT = 320, 240
TOLERANCE = 3
ORACLE_FLAGS = 'neighbor+accurate_rnd+full_chroma_int'
MATRICES = {'bt601': vf.COLOR_MATRIX_BT601, 'bt709': vf.COLOR_MATRIX_BT709}
RANGES = {'tv': vf.COLOR_RANGE_LIMITED, 'pc': vf.COLOR_RANGE_FULL}
SOURCES = ('smptebars', 'testsrc2')
CASES = [(src, m, r) for src in SOURCES for r in ('tv', 'pc') for m in ('bt601', 'bt709')]

_work = None
NV12 = {}      # (source, matrix, range) -> NV12 bytes of a picture made with that matrix and range
ORACLE = {}    # (source, matrix, range, converted as matrix) -> FFmpeg's rgb24 bytes
C_CONVERT = None


def ffmpeg(*args: str) -> None:
    subprocess.run([FFMPEG, '-v', 'error', '-y', *args], check=True)


def setUpModule():
    global _work, C_CONVERT
    if FFMPEG is None or np is None:
        raise unittest.SkipTest('needs ffmpeg and numpy')
    _work = tempfile.mkdtemp(prefix='vas-colour-')
    for src, matrix, rng in CASES:
        nv12 = nv12_path(src, matrix, rng)
        # The lavfi source -> rgb24 -> NV12 with the matrix and range under test.
        ffmpeg('-f', 'lavfi', '-i', f'{src}=size={WIDTH}x{HEIGHT}:rate=1', '-frames:v', '1',
               '-vf', f'format=rgb24,scale=out_color_matrix={matrix}:out_range={rng},format=nv12', '-f', 'rawvideo', nv12)
        with open(nv12, 'rb') as f:
            NV12[src, matrix, rng] = f.read()
        for as_matrix in MATRICES:
            rgb = os.path.join(_work, f'oracle-{src}-{matrix}-{rng}-as-{as_matrix}.rgb')
            ffmpeg('-f', 'rawvideo', '-pix_fmt', 'nv12', '-s', f'{WIDTH}x{HEIGHT}', '-i', nv12, '-sws_flags', ORACLE_FLAGS,
                   '-vf', f'scale=in_color_matrix={as_matrix}:in_range={rng},format=rgb24', '-f', 'rawvideo', rgb)
            with open(rgb, 'rb') as f:
                ORACLE[src, matrix, rng, as_matrix] = f.read()
    if shutil.which('gcc'):
        C_CONVERT = os.path.join(_work, 'nv12_to_rgb')
        subprocess.run(['gcc', '-std=c11', '-Wall', '-Wextra', '-Werror', '-O2', '-I', C_DIR, '-o', C_CONVERT,
                        os.path.join(HERE, 'support', 'nv12_to_rgb.c')], check=True)


def nv12_path(src: str, matrix: str, rng: str) -> str:
    return os.path.join(_work, f'{src}-{matrix}-{rng}.nv12')


def tearDownModule():
    if _work:
        shutil.rmtree(_work, True)


def rgb_array(data) -> 'np.ndarray':
    return np.frombuffer(bytes(data), dtype=np.uint8).reshape(HEIGHT, WIDTH, 3).astype(np.int16)


def deviation(got, src: str, matrix: str, rng: str) -> int:
    """Largest per-channel difference from FFmpeg's conversion of the same NV12."""
    return int(np.abs(rgb_array(got) - rgb_array(ORACLE[src, matrix, rng, matrix])).max())


def report(helper: str, src: str, matrix: str, rng: str, dev: int) -> None:
    sys.stderr.write(f'\n    colour {helper} {src} {matrix} {rng}: max deviation {dev} ')


class OracleTest(unittest.TestCase):
    def test_ffmpeg_honours_matrix_and_range(self):
        """The oracle must depend on the options it is given, or it proves nothing."""
        for src, matrix, rng in CASES:
            a = rgb_array(ORACLE[src, matrix, rng, 'bt601'])
            b = rgb_array(ORACLE[src, matrix, rng, 'bt709'])
            self.assertGreater(int(np.abs(a - b).max()), 20, (src, matrix, rng))
        self.assertNotEqual(NV12['smptebars', 'bt709', 'tv'], NV12['smptebars', 'bt709', 'pc'])

    def test_python_numpy(self):
        for src, matrix, rng in CASES:
            with self.subTest(src=src, matrix=matrix, range=rng):
                rgb = vf.nv12_to_rgb(NV12[src, matrix, rng], WIDTH, HEIGHT, color_matrix=MATRICES[matrix],
                                     color_range=RANGES[rng], use_cv2=False)
                self.assertEqual((rgb.shape, str(rgb.dtype)), ((HEIGHT, WIDTH, 3), 'uint8'))
                dev = deviation(rgb.tobytes(), src, matrix, rng)
                report('python-numpy', src, matrix, rng, dev)
                self.assertLessEqual(dev, TOLERANCE)

    def test_python_command_line(self):
        for src, matrix, rng in CASES:
            with self.subTest(src=src, matrix=matrix, range=rng):
                out = os.path.join(_work, f'cli-{src}-{matrix}-{rng}.rgb')
                subprocess.run([sys.executable, os.path.join(READER_DIR, 'vas_frames.py'), '--convert',
                                nv12_path(src, matrix, rng), out, '--size', f'{WIDTH}x{HEIGHT}', '--matrix', matrix,
                                '--range', rng, '--no-cv2'], check=True)
                with open(out, 'rb') as f:
                    dev = deviation(f.read(), src, matrix, rng)
                report('python-cli', src, matrix, rng, dev)
                self.assertLessEqual(dev, TOLERANCE)

    def test_c_reference_function(self):
        if C_CONVERT is None:
            self.skipTest('gcc not installed')
        for src, matrix, rng in CASES:
            with self.subTest(src=src, matrix=matrix, range=rng):
                out = os.path.join(_work, f'c-{src}-{matrix}-{rng}.rgb')
                subprocess.run([C_CONVERT, nv12_path(src, matrix, rng), out, str(WIDTH), str(HEIGHT),
                                str(MATRICES[matrix]), str(RANGES[rng])], check=True)
                with open(out, 'rb') as f:
                    dev = deviation(f.read(), src, matrix, rng)
                report('c', src, matrix, rng, dev)
                self.assertLessEqual(dev, TOLERANCE)

    def test_the_wrong_matrix_is_caught(self):
        """BT.709 frames converted as BT.601 are far off: the oracle test can fail."""
        rgb = vf.nv12_to_rgb(NV12['smptebars', 'bt709', 'tv'], WIDTH, HEIGHT, color_matrix=vf.COLOR_MATRIX_BT601,
                             use_cv2=False)
        self.assertGreater(deviation(rgb.tobytes(), 'smptebars', 'bt709', 'tv'), 20)

    def test_bgr_and_strides(self):
        nv12 = NV12['testsrc2', 'bt709', 'tv']
        rgb = vf.nv12_to_rgb(nv12, WIDTH, HEIGHT, color_matrix=1, use_cv2=False)
        bgr = vf.nv12_to_rgb(nv12, WIDTH, HEIGHT, color_matrix=1, bgr=True, use_cv2=False)
        self.assertTrue(np.array_equal(bgr, rgb[..., ::-1]))
        pad = 64
        rows = np.frombuffer(nv12, dtype=np.uint8).reshape(HEIGHT * 3 // 2, WIDTH)
        padded = np.zeros((HEIGHT * 3 // 2, WIDTH + pad), dtype=np.uint8)
        padded[:, :WIDTH] = rows
        strided = vf.nv12_to_rgb(padded.tobytes(), WIDTH, HEIGHT, y_stride=WIDTH + pad, uv_stride=WIDTH + pad,
                                 color_matrix=1, use_cv2=False)
        self.assertTrue(np.array_equal(strided, rgb))
        out = np.empty((HEIGHT, WIDTH, 3), dtype=np.uint8)
        self.assertIs(vf.nv12_to_rgb(nv12, WIDTH, HEIGHT, color_matrix=1, out=out, use_cv2=False), out)
        self.assertTrue(np.array_equal(out, rgb))
        with self.assertRaisesRegex(ValueError, 'C-contiguous'):
            vf.nv12_to_rgb(nv12, WIDTH, HEIGHT, out=np.empty((HEIGHT, WIDTH, 4), dtype=np.uint8))


class FrameColourTest(unittest.TestCase):
    """Frame.to_rgb / to_bgr take the matrix and range from the export's header."""

    def setUp(self) -> None:
        self.dir = tempfile.mkdtemp(prefix='vas-colour-export-')
        self.addCleanup(shutil.rmtree, self.dir, True)

    def frame(self, nv12: bytes, **kw) -> vf.Frame:
        ex = FakeExport(self.dir, 'cam1', WIDTH, HEIGHT, **kw)
        self.addCleanup(ex.close)
        ex.write_frame(nv12)
        with vf.FrameReader('cam1', dir=self.dir) as reader:
            return reader.latest()

    def test_header_matrix_and_range(self):
        for src, matrix, rng in CASES:
            with self.subTest(src=src, matrix=matrix, range=rng), mock.patch.object(vf, '_cv2_module', None):
                f = self.frame(NV12[src, matrix, rng], color_matrix=MATRICES[matrix], color_range=RANGES[rng])
                self.assertEqual((f.color_matrix, f.color_range), (MATRICES[matrix], RANGES[rng]))
                self.assertLessEqual(deviation(f.to_rgb().tobytes(), src, matrix, rng), TOLERANCE)
                self.assertLessEqual(deviation(f.to_bgr()[..., ::-1].tobytes(), src, matrix, rng), TOLERANCE)
                shutil.rmtree(os.path.join(self.dir, 'cam1'))

    def test_version_1_export_is_bt601_limited(self):
        with mock.patch.object(vf, '_cv2_module', None):
            f = self.frame(NV12['testsrc2', 'bt601', 'tv'], version=1)
            self.assertEqual((f.color_matrix, f.color_range), (vf.COLOR_MATRIX_BT601, vf.COLOR_RANGE_LIMITED))
            self.assertLessEqual(deviation(f.to_rgb().tobytes(), 'testsrc2', 'bt601', 'tv'), TOLERANCE)


class OpenCvTest(unittest.TestCase):
    """OpenCV's cvtColor(COLOR_YUV2RGB_NV12) has fixed BT.601 limited-range coefficients: it is
    used for those frames only."""

    def test_used_only_when_it_matches(self):
        calls = []
        fake = types.SimpleNamespace(COLOR_YUV2RGB_NV12=90, COLOR_YUV2BGR_NV12=91,
                                     cvtColor=lambda src, code, dst: calls.append(code) or dst)
        nv12 = NV12['smptebars', 'bt601', 'tv']
        with mock.patch.object(vf, '_cv2_module', fake):
            for matrix, rng, used in ((6, 1, True), (2, 0, True), (1, 1, False), (6, 2, False), (1, 2, False)):
                with self.subTest(matrix=matrix, range=rng):
                    calls.clear()
                    vf.nv12_to_rgb(nv12, WIDTH, HEIGHT, color_matrix=matrix, color_range=rng)
                    self.assertEqual(calls, [90] if used else [])
            calls.clear()
            vf.nv12_to_rgb(nv12, WIDTH, HEIGHT, bgr=True)
            vf.nv12_to_rgb(nv12, WIDTH, HEIGHT, use_cv2=False)
            self.assertEqual(calls, [91])

    def test_real_opencv_against_the_oracle(self):
        vf._cv2_module = False  # retry the import
        if vf._cv2() is None:
            self.skipTest('cv2 is not importable')
        for src in SOURCES:
            rgb = vf.nv12_to_rgb(NV12[src, 'bt601', 'tv'], WIDTH, HEIGHT, color_matrix=vf.COLOR_MATRIX_BT601)
            dev = deviation(rgb.tobytes(), src, 'bt601', 'tv')
            report('python-cv2', src, 'bt601', 'tv', dev)
            self.assertLessEqual(dev, TOLERANCE)


if __name__ == '__main__':
    unittest.main()
