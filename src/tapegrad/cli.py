"""The ``tapegrad`` command (also ``python3 -m tapegrad``).

Key decision: one argparse subparser per command, and a command's handler imports what it needs only when it
runs, so ``tapegrad --help`` and ``tapegrad --version`` load the standard library and nothing heavy. Commands to
come (``explore``, ``train``) each add one ``_add_<command>`` function and one entry in ``_COMMANDS``.

``demo`` runs the seed programs in ``tapegrad.examples`` (the repository's ``examples/`` directory, packaged
under that name) in this process, each under a short heading, so its output is exactly what each program prints.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence

from . import __version__


def _add_demo(commands: argparse._SubParsersAction) -> None:
    """Register ``tapegrad demo [N ...] [--code]``."""
    parser = commands.add_parser(
        "demo",
        help="run the seed programs and print their results",
        description="Run the TensorFlow programs from the seed documents with `import tapegrad as tf` "
        "and print what each one prints, under a short heading.",
    )
    parser.add_argument("seeds", nargs="*", type=int, metavar="N",
                        help="run only these programs (numbered from 1, as in the headings); default: all")
    parser.add_argument("--code", action="store_true", help="print each program's source before its output")
    parser.set_defaults(handler=_run_demo)


_COMMANDS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (_add_demo,)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of the ``tapegrad`` command, one subparser per command.

    >>> build_parser().parse_args(["demo", "--code"]).code
    True
    """
    parser = argparse.ArgumentParser(
        prog="tapegrad",
        description="tapegrad: TensorFlow's GradientTape API on NumPy. `import tapegrad as tf` runs "
        "TensorFlow eager autodiff code unchanged.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    for add in _COMMANDS:
        add(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``tapegrad`` command with ``argv`` (default: ``sys.argv[1:]``) and return its exit status.

    Args:
        argv: the command-line arguments, without the program name.

    Returns:
        0 on success, 1 if a program failed, 2 for a missing command (argparse exits with 2 on bad usage).

    >>> main(["demo", "3"])
    == Seed 3: gradient of y = x^2 at x = 3 ==
    Result of y: 9.0
    The gradient of y with respect to x is: 6.0
    0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    return args.handler(parser, args)


def _run_demo(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Run the selected seed programs in this process, each under its heading; 1 if any of them raised."""
    from importlib import resources

    from .examples import SEEDS

    chosen = args.seeds or list(range(1, len(SEEDS) + 1))
    bad = [n for n in chosen if not 1 <= n <= len(SEEDS)]
    if bad:
        parser.error(f"argument N: no seed program {bad[0]}; choose from 1 to {len(SEEDS)}")
    folder = resources.files("tapegrad.examples")
    status = 0
    for position, number in enumerate(chosen):
        name, title = SEEDS[number - 1]
        source = folder.joinpath(f"{name}.py").read_text(encoding="utf-8")
        if position:
            print()
        print(f"== Seed {number}: {title} ==")
        if args.code:
            print(source.rstrip("\n"))
            print("-- output --")
        sys.stdout.flush()
        try:
            exec(compile(source, f"<tapegrad.examples/{name}.py>", "exec"), {"__name__": "__main__"})
        except Exception:  # a failing program is reported and the demo goes on with the next one
            sys.stdout.flush()
            traceback.print_exc()
            print(f"tapegrad demo: seed program {number} ({name}.py) failed", file=sys.stderr)
            status = 1
        sys.stdout.flush()
    return status


if __name__ == "__main__":  # pragma: no cover - `python3 -m tapegrad.cli`
    sys.exit(main())
