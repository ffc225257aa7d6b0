"""The options the command lines share, written once: the data folder, the ledger, how a training runs,
and checks of numbers. Nothing here loads a backend: `--help` is instant."""
import argparse

MAX_SEED = 2**32 - 1  # NumPy's and TensorFlow's seeds are 32-bit
MAX_EPOCHS = 10**6  # a schedule longer than this is a typo (net11, the longest recipe, has 10000)
DATA_HELP = "folder with Kaggle's files (default: $FKD_DATA, else ./data, else the embedded faces)"


def add_data_option(parser, help=DATA_HELP):
    parser.add_argument("--data", help=help)


def add_ledger_options(parser):
    """--no-ledger and --record, for every command that adds a finished run or score to a ledger (ledger.py)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--no-ledger", action="store_true", help="add the result to no ledger")
    group.add_argument("--record", action="store_true",
                       help="maintainers: add it to the project's ledger, results/runs.csv, which the docs' tables "
                            "come from (default: your own, runs/ledger.csv or $FKD_LEDGER)")


def add_speed_options(parser):
    """How a training runs (train.py, specialists.py)."""
    parser.add_argument("--pipeline", choices=["fast", "plain"],
                        help="fast (the default): data on the device, augmentation in the compiled step; plain: NumPy "
                             "flip batches")
    parser.add_argument("--devices", type=int, default=1, help="train data-parallel over this many accelerators (JAX)")
    parser.add_argument("--split", choices=["rows", "clips"],
                        help="validation: random rows (the study; the default) or whole groups of near-identical "
                             "frames (honest); specialists default to their pretrained run's")


def check_positive(parser, **options):
    """parser.error for an option (--epochs, --checkpoint-every, ...) given as a whole number below 1."""
    for name, value in options.items():
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')}: expected a whole number of at least 1, got {value}")


def check_range(parser, low, high, **options):
    """parser.error for an option (--seed, --epochs, ...) given as a whole number outside low..high."""
    for name, value in options.items():
        if value is not None and not low <= value <= high:
            parser.error(f"--{name.replace('_', '-')}: expected a whole number in {low}..{high}, got {value}")


def parser_for(doc, **kwargs):
    """An ArgumentParser whose help is the script's docstring, as written."""
    return argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs)
