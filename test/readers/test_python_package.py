"""The Python reader as a package: `pip install src/reader/python` into a fresh venv, offline
(--no-index --no-build-isolation, with this interpreter's setuptools and wheel: Debian's
python3-setuptools and python3-wheel under npm test), then the installed `vas_frames` reads a
fake export from the venv, and the examples run against it.

Run: /usr/bin/python3 -m unittest discover -s test/readers -p 'test_*.py' -v
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
READER_DIR = os.path.join(ROOT, 'src', 'reader', 'python')
sys.path.insert(0, HERE)

from make_fake_export import FakeExport, fnv1a64, pattern  # noqa: E402

FAKE = os.path.join(HERE, 'make_fake_export.py')


def run(*args: str, cwd: str, timeout: float = 120) -> subprocess.CompletedProcess:
    # A clean environment: no PYTHONPATH, no pip configuration, no user site.
    env = {'PATH': os.environ.get('PATH', '/usr/bin:/bin'), 'PIP_CONFIG_FILE': os.devnull, 'PYTHONNOUSERSITE': '1'}
    p = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise AssertionError(f'{args} exited {p.returncode}:\n{p.stdout}\n{p.stderr}')
    return p


class PipInstallTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        for module in ('ensurepip', 'venv', 'setuptools', 'wheel'):
            try:
                __import__(module)
            except ImportError:
                raise unittest.SkipTest(f'{sys.executable} lacks {module} (scripts/setup.sh installs it)')
        cls.work = tempfile.mkdtemp(prefix='vas-py-package-')
        # Install from a copy: setuptools writes build/ and *.egg-info into the source tree.
        cls.source = shutil.copytree(READER_DIR, os.path.join(cls.work, 'vas-frames'),
                                     ignore=shutil.ignore_patterns('__pycache__', 'build', '*.egg-info'))
        venv = os.path.join(cls.work, 'venv')
        run(sys.executable, '-m', 'venv', '--system-site-packages', venv, cwd=cls.work)
        cls.python = os.path.join(venv, 'bin', 'python')
        cls.install = run(cls.python, '-m', 'pip', 'install', '--no-index', '--no-build-isolation', cls.source,
                          cwd=cls.work)
        cls.exports = os.path.join(cls.work, 'exports')

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(cls.work, True)

    def test_installed_typed_package(self):
        code = ('import json, os, typing, vas_frames\n'
                'here = os.path.dirname(vas_frames.__file__)\n'
                'print(json.dumps({"file": vas_frames.__file__, "files": sorted(os.listdir(here)),\n'
                '    "all": sorted(vas_frames.__all__),\n'
                '    "wait_next": str(typing.get_type_hints(vas_frames.FrameReader.wait_next)["return"])}))\n')
        info = json.loads(run(self.python, '-c', code, cwd=self.work).stdout)
        self.assertIn('Successfully installed vas-frames-2.0.0', self.install.stdout)
        self.assertTrue(info['file'].startswith(os.path.join(self.work, 'venv')), info['file'])
        self.assertTrue({'__init__.py', 'vas_frames.py', 'py.typed', '__main__.py'} <= set(info['files']), info['files'])
        self.assertIn('FrameReader', info['all'])
        self.assertIn('nv12_to_rgb', info['all'])
        self.assertEqual(info['wait_next'], 'typing.Optional[vas_frames.vas_frames.Frame]')

    def test_types_reach_a_user_of_the_package(self):
        """py.typed works: mypy, run on code that uses the installed package, sees its types."""
        if subprocess.run([self.python, '-c', 'import mypy'], capture_output=True).returncode != 0:
            self.skipTest('mypy is not importable (Debian: python3-mypy)')
        user = os.path.join(self.work, 'user_code.py')
        with open(user, 'w') as f:
            f.write('from typing import Optional\n'
                    'from vas_frames import FrameReader\n'
                    'def frame_id(reader: FrameReader) -> Optional[int]:\n'
                    '    frame = reader.wait_next(timeout=1.0)\n'
                    '    if frame is None:\n'
                    '        return None\n'
                    '    wrong: str = frame.frame_id\n'
                    '    return frame.frame_id\n')
        p = subprocess.run([self.python, '-m', 'mypy', '--strict', '--no-incremental', user], cwd=self.work,
                           capture_output=True, text=True, timeout=300)
        self.assertIn('user_code.py:7: error: Incompatible types in assignment (expression has type "int", '
                      'variable has type "str")', p.stdout)
        self.assertIn('Found 1 error', p.stdout)

    def test_reads_an_export_from_the_venv(self):
        ex = FakeExport(self.exports, 'cam1')
        self.addCleanup(ex.close)
        for _ in range(3):
            ex.write_frame()
        p = run(self.python, '-m', 'vas_frames', 'cam1', '--dir', self.exports, '--latest', '--checksum', cwd=self.work)
        checksum = f'{fnv1a64(pattern(ex.generation, 3, ex.frame_size)):016x}'
        self.assertRegex(p.stdout, rf'^frame_id=3 timestamp_ns=\d+ width=64 height=48 generation={ex.generation} '
                                   rf'data_size=4608 checksum={checksum}\n$')

    def serve(self, camera: str) -> None:
        writer = subprocess.Popen([sys.executable, FAKE, 'serve', '--dir', self.exports, '--camera', camera, '--fps', '50',
                                   '--seconds', '20'], stdout=subprocess.PIPE, text=True)
        self.addCleanup(lambda: (writer.kill(), writer.wait(), writer.stdout.close()))
        writer.stdout.readline()  # the export exists

    def test_numpy_example(self):
        self.serve('cam2')
        p = run(self.python, os.path.join(READER_DIR, 'examples', 'numpy_frames.py'), 'cam2', '--dir', self.exports,
                '--count', '3', cwd=self.work, timeout=30)
        lines = p.stdout.splitlines()
        self.assertEqual(len(lines), 3, p.stdout)
        self.assertRegex(lines[0], r'^frame \d+: 64x48 mean Y [\d.]+ mean RGB \[[\d., ]+\] source None$')

    def test_opencv_example(self):
        if subprocess.run([self.python, '-c', 'import cv2'], capture_output=True).returncode != 0:
            self.skipTest('cv2 is not importable')
        self.serve('cam3')
        out = os.path.join(self.work, 'snapshots')
        run(self.python, os.path.join(READER_DIR, 'examples', 'opencv_bgr.py'), 'cam3', '--dir', self.exports, '--out', out,
            '--count', '3', cwd=self.work, timeout=30)
        [jpeg] = os.listdir(out)
        with open(os.path.join(out, jpeg), 'rb') as f:
            self.assertEqual(f.read(2), b'\xff\xd8')

if __name__ == '__main__':
    unittest.main()
