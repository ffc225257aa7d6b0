"""How the command-line scripts end: one line and a status, never a traceback for the user's input."""
import sys

from facial_keypoints.data import DataError


def run(main):
    """main(), with exit status 1 and one line `error: ...` for bad input (DataError) or a write that
    failed (disk full, read-only folder: outputs are written atomically, so nothing half-written is
    left), and 130 for Ctrl-C, as shells report it."""
    try:
        main()
    except DataError as error:
        sys.exit(f"error: {error}")
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        sys.exit(f"error: {where}{error.strerror or error}")
    except KeyboardInterrupt:
        print("\ninterrupted (Ctrl-C)", file=sys.stderr)
        sys.exit(130)
