"""What a user did wrong, said in one line: DataError, and how every command line ends on it.

    if __name__ == "__main__":
        from facial_keypoints import errors
        errors.run(main)
"""
import signal
import sys
import threading


class DataError(Exception):
    """A problem with the user's files or arguments, worth one line and no traceback."""


def where(source, row, column=None):
    """'file, row N (line N+1), column 'C'' for an error message; row counts data rows from 1."""
    return f"{source}, row {row} (line {row + 1})" + (f", column '{column}'" if column else "")


def interrupt(signum, frame):
    """SIGTERM (a kill, a scheduler's stop) taken as Ctrl-C: what is written is complete, the rest cleaned up."""
    raise KeyboardInterrupt


def run(main):
    """main(), with exit status 1 and one line `error: ...` for bad input (DataError) or a write that
    failed (disk full, read-only folder: outputs are written atomically, so nothing half-written is
    left), and 130 for Ctrl-C or SIGTERM, as shells report Ctrl-C (a training stops after its epoch,
    callbacks.StopOnCtrlC)."""
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, interrupt) if main_thread else None
    try:
        main()
    except DataError as error:
        sys.exit(f"error: {error}")
    except OSError as error:
        where_ = f"{error.filename}: " if error.filename else ""
        sys.exit(f"error: {where_}{error.strerror or error}")
    except KeyboardInterrupt:
        print("\ninterrupted (Ctrl-C or SIGTERM)", file=sys.stderr)
        sys.exit(130)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
