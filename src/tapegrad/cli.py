"""The ``tapegrad`` command (also ``python3 -m tapegrad``).

Key decision: one argparse subparser per command, and a command's handler imports what it needs only when it
runs, so ``tapegrad --help`` and ``tapegrad --version`` load the standard library and nothing heavy. Commands to
come (``train``) each add one ``_add_<command>`` function and one entry in ``_COMMANDS``; ``explore`` lives in
``tapegrad.explore``.

``demo`` runs the seed programs in ``tapegrad.examples`` (the repository's ``examples/`` directory, packaged
under that name) in this process, each under a short heading, so its output is exactly what each program prints.
The full demo (no program numbers) then writes the explorer's pages of the seed's three functions and says where.
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
    parser.add_argument("--pages", metavar="DIR",
                        help="where the full demo writes the explorer's pages of the seed's three functions "
                        "(default: a tapegrad-demo-USER folder in the temporary directory)")
    parser.set_defaults(handler=_run_demo)


def _add_explore(commands: argparse._SubParsersAction) -> None:
    """Register ``tapegrad explore EXPR [--at ...] [--range ...] [--html FILE] [--png FILE] [--trace]``."""
    parser = commands.add_parser(
        "explore",
        help="see a function and its gradient: values, tables, a page, a picture",
        description="Evaluate a math expression and its gradient with tapegrad: the value and gradient at "
        "each --at point and the seed's 'one more' table, a self-contained interactive page (--html), a "
        "picture (--png) and the tape's trace (--trace). Example: tapegrad explore \"0.25*x**2 + 500\" "
        "--at x=10 --at x=40 --html earnings.html",
        epilog="EXPR uses numbers, variable names, + - * / ** (x**2, not x^2), parentheses, pi, e and the "
        "functions exp, expm1, log (ln), log1p, log2, log10, sqrt, square, abs, sign, sin, cos, tan, asin, "
        "acos, atan, sinh, cosh, tanh, asinh, acosh, atanh, sigmoid, softplus, relu, erf, atan2(y, x), "
        "max(a, b), min(a, b). Start an EXPR that begins with a minus with a space, or wrap it in "
        "parentheses: \"(-x**2)\".",
    )
    parser.add_argument("expr", metavar="EXPR", help='the function, e.g. "(0.25*x**2 + 500) + 50*log(y + 1)"')
    parser.add_argument("--at", action="append", nargs="+", metavar="NAME=VALUE", default=[],
                        help="a point, e.g. --at x=25 y=6 (repeat --at for more points)")
    parser.add_argument("--range", nargs="+", metavar="NAME=LOW:HIGH", default=[],
                        help="the range drawn for a variable, e.g. --range x=0:60 y=0:20 "
                        "(default: around the --at points, or -5:5)")
    parser.add_argument("--html", metavar="FILE", help="write an interactive page (one file, works offline)")
    parser.add_argument("--png", metavar="FILE", help="write a picture")
    parser.add_argument("--trace", action="store_true",
                        help="print the ops the tape recorded at the first point, and the backward pass")
    parser.set_defaults(handler=_run_explore)


def _add_train(commands: argparse._SubParsersAction) -> None:
    """Register ``tapegrad train digits [--epochs N] [--batch-size N] [--lr LR] [--optimizer NAME] ...``."""
    parser = commands.add_parser(
        "train",
        help="train a model end to end with a GradientTape loop (needs tapegrad[train])",
        description="Train a model with tapegrad's tf.keras layers, optimizers and a plain GradientTape loop. "
        "Needs scikit-learn, tqdm and matplotlib: pip install 'tapegrad[train]'.",
    )
    tasks = parser.add_subparsers(title="tasks", dest="task", metavar="TASK", required=True)
    digits = tasks.add_parser(
        "digits",
        help="an MLP on scikit-learn's bundled 8x8 digits (no download)",
        description="Train an MLP (64-256-10, ReLU) on scikit-learn's 8x8 digits (1,437 for training, 360 "
        "held out) with a GradientTape loop: a progress bar with the live loss and accuracy, a checkpoint "
        "after every epoch with --checkpoint-dir, --resume to continue from the latest one, and a PNG of the "
        "loss and accuracy curves.",
    )
    digits.add_argument("--epochs", type=int, default=30, help="passes over the training set (default: 30)")
    digits.add_argument("--batch-size", type=int, default=32, help="images per step (default: 32)")
    digits.add_argument("--lr", type=float, default=3e-3,
                        help="learning rate; the start of a cosine decay to 0 unless --constant-lr (default: 0.003)")
    digits.add_argument("--constant-lr", action="store_true", help="keep the learning rate constant")
    digits.add_argument("--optimizer", choices=("adam", "adamw", "sgd", "rmsprop", "adagrad"), default="adam",
                        help="the tf.keras optimizer (sgd uses momentum 0.9; default: adam)")
    digits.add_argument("--hidden", default="256", metavar="N[,N...]",
                        help="hidden layer sizes, comma-separated (default: 256)")
    digits.add_argument("--seed", type=int, default=0, help="seeds the initial weights and the shuffling (default: 0)")
    digits.add_argument("--checkpoint-dir", metavar="DIR", help="write a checkpoint there after every epoch")
    digits.add_argument("--resume", action="store_true",
                        help="continue from the latest checkpoint in --checkpoint-dir (same options)")
    digits.add_argument("--plot", metavar="FILE", default=None,
                        help="the PNG of the loss and accuracy curves (default: tapegrad_digits.png here)")
    digits.add_argument("--no-plot", action="store_true", help="do not draw the curves")
    digits.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="a progress bar per epoch (default: when stderr is a terminal; else one line per epoch)")
    digits.set_defaults(handler=_run_train_digits)


_COMMANDS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (_add_demo, _add_explore, _add_train)


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
    if not args.seeds:  # the full demo ends on the explorer's pages of the seed's three functions
        from .explore.demo import write_seed_pages

        print()
        try:
            print(write_seed_pages(args.pages))
        except OSError as err:
            print(f"tapegrad demo: cannot write the explorer's pages: {err}", file=sys.stderr)
            status = 1
    return status


def _run_explore(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Run ``tapegrad explore`` (the work is in `tapegrad.explore.command`, imported only now)."""
    from .explore.command import run

    return run(args)


def _run_train_digits(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Run ``tapegrad train digits`` (the trainer, in `tapegrad.train.digits`, is imported only now)."""
    from .train import digits

    try:
        hidden = tuple(int(h) for h in args.hidden.split(","))
    except ValueError:
        parser.error(f"argument --hidden: expected sizes like 256 or 128,64, got {args.hidden!r}")
    if args.resume and not args.checkpoint_dir:
        parser.error("--resume needs --checkpoint-dir (the directory of the checkpoints to continue from)")
    plot = None if args.no_plot else (args.plot or "tapegrad_digits.png")
    try:
        digits.train_digits(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, optimizer=args.optimizer,
                            seed=args.seed, hidden=hidden, schedule="constant" if args.constant_lr else "cosine",
                            checkpoint_dir=args.checkpoint_dir, resume=args.resume, plot=plot, progress=args.progress)
    except digits.MissingExtraError as err:
        print(f"tapegrad train: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        where = f"; continue with --resume --checkpoint-dir {args.checkpoint_dir}" if args.checkpoint_dir else ""
        print(f"\ntapegrad train digits: interrupted{where}", file=sys.stderr)
        return 130
    except (ValueError, OSError) as err:
        print(f"tapegrad train digits: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover - `python3 -m tapegrad.cli`
    sys.exit(main())
