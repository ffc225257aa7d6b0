"""facial_keypoints.provenance: the command a run folder or ledger row records is one a user can type
again, for a script (`python train.py ...`) and for a module run with -m (`python -m bench.peers ...`)."""
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.jax
SHOW = "from facial_keypoints.provenance import command\nprint(command())\n"


def recorded(tmp_path, *argv):
    """What command() says in a fresh `python ARGV` started in tmp_path, which holds tool/show.py,
    tool/__main__.py and show.py, each printing it."""
    (tmp_path / "tool").mkdir(exist_ok=True)
    for path in (tmp_path / "tool" / "__init__.py", tmp_path / "tool" / "show.py", tmp_path / "tool" / "__main__.py",
                 tmp_path / "show.py"):
        path.write_text("" if path.name == "__init__.py" else SHOW)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, *argv], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_a_module_run_with_dash_m_is_recorded_as_python_dash_m_its_name(tmp_path):
    assert recorded(tmp_path, "-m", "tool.show", "--runs", "a b", "--quick") == "python -m tool.show --runs 'a b' --quick"
    assert recorded(tmp_path, "-m", "tool", "--quick") == "python -m tool --quick"  # a package's __main__


def test_a_script_is_recorded_as_typed(tmp_path):
    assert recorded(tmp_path, "show.py", "--net", "net1") == "python show.py --net net1"
    assert recorded(tmp_path, "tool/show.py") == "python tool/show.py"
    assert recorded(tmp_path, "-c", SHOW) == "python -c"


def test_a_script_run_in_process_is_recorded_by_its_argv(monkeypatch):
    """The tests' run_script (runpy, or a module's main imported) sets sys.argv; the -m of the test
    runner itself (`python -m pytest`) is not the command."""
    from facial_keypoints.provenance import command
    monkeypatch.setattr(sys, "argv", [str(ROOT / "train.py"), "--net", "net1"])
    assert command() == f"python {ROOT / 'train.py'} --net net1"


def test_durations_read_as_words():
    from facial_keypoints.provenance import duration
    assert [duration(s) for s in (3725, 125, 9, 59.6)] == ["1 h 02 min", "2 min 05 s", "9 s", "1 min 00 s"]
