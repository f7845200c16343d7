"""c2pa-python searches the working directory for its native library first: a library planted
where the user works must never be loaded (found by the bundle smoke test)."""

import shutil
import subprocess
import sys

import pytest

PLANTED = r"""
#include <stdio.h>
__attribute__((constructor)) static void planted(void) {
    FILE *f = fopen("PLANTED-RAN", "w"); if (f) { fputs("x", f); fclose(f); }
}
"""


@pytest.mark.skipif(sys.platform != "linux" or not shutil.which("cc"), reason="needs Linux and cc")
def test_a_library_in_the_working_folder_is_not_loaded(tmp_path):
    src = tmp_path / "planted.c"
    src.write_text(PLANTED)
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(tmp_path / "libc2pa_c.so"), str(src)], check=True)
    code = "from aigcverify.c2pa_check import _c2pa_module; m = _c2pa_module(); print(m.__name__)"
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "PLANTED-RAN").exists()
