import subprocess
import sys

import matplotlib.image
import pytest

from tests.conftest import ROOT


@pytest.mark.jax
def test_show_writes_the_three_pictures(net1_run, ytf_dir, tmp_path):
    result = subprocess.run([sys.executable, "-m", "facial_keypoints.show", str(net1_run), "--compare", str(net1_run),
                             "--data", str(ytf_dir), "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    for name in ("worst_faces.png", "curves.png", "keypoint_errors.png"):
        picture = matplotlib.image.imread(tmp_path / name)
        assert picture.shape[0] > 300 and picture.shape[1] > 300 and picture.std() > 0.05
