"""Run a script (submit.py, train.py, ...) in this process as `python SCRIPT ARGS` would, for speed."""
import runpy
import importlib
import sys

from tests.conftest import ROOT


class Result:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def run_script(capsys, script, *args):
    """(returncode, stdout, stderr) of ROOT/script (or "-m module") run with args; sys.exit("error: ...") gives 1."""
    capsys.readouterr()
    module = script.removeprefix("-m ") if script.startswith("-m ") else None
    argv, sys.argv = sys.argv, [module or str(ROOT / script), *map(str, args)]
    code = 0
    try:
        if module:  # as its `if __name__ == "__main__": errors.run(main)` does, in the module the tests may patch
            from facial_keypoints import errors
            errors.run(importlib.import_module(module).main)
        else:
            runpy.run_path(str(ROOT / script), run_name="__main__")
    except SystemExit as exit_:
        if isinstance(exit_.code, str):
            print(exit_.code, file=sys.stderr)
            code = 1
        else:
            code = exit_.code or 0
    except KeyboardInterrupt:  # not caught by the script: a Python traceback, not exit status 130
        print("Traceback: KeyboardInterrupt", file=sys.stderr)
        code = -2
    finally:
        sys.argv = argv
    out, err = capsys.readouterr()
    return Result(code, out, err)
