"""The full `tapegrad train digits` run, timed (issue 5: test accuracy >= 97 %, under 30 s on the 2-core machine).

    python3 benchmarks/train_digits.py               # the default run (30 epochs, seed 0)
    python3 benchmarks/train_digits.py --seeds 0-4   # several seeds: the accuracy's spread
    python3 benchmarks/train_digits.py --cli         # the command itself, in a fresh process (imports included)

Each run prints its wall time and its final test accuracy; the targets are checked at the end.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

TARGET_ACCURACY, TARGET_SECONDS = 0.97, 30.0


def seeds(text: str) -> list[int]:
    if "-" in text:
        lo, hi = text.split("-")
        return list(range(int(lo), int(hi) + 1))
    return [int(s) for s in text.split(",")]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=seeds, default=[0], help="seeds to run, e.g. 0-4 or 0,3 (default: 0)")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--cli", action="store_true", help="time `python3 -m tapegrad train digits` end to end")
    args = parser.parse_args(argv)
    results = []
    for seed in args.seeds:
        if args.cli:
            t0 = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "tapegrad", "train", "digits", "--epochs", str(args.epochs),
                                   "--seed", str(seed), "--no-plot", "--no-progress"], capture_output=True, text=True,
                                  env={**os.environ, "PYTHONPATH": os.path.join(os.path.dirname(__file__), "..",
                                                                                "src")})
            seconds = time.perf_counter() - t0
            if done.returncode:
                print(done.stderr, file=sys.stderr)
                return done.returncode
            accuracy = float(done.stdout.split("Test accuracy: ")[1].split("%")[0]) / 100
        else:
            from tapegrad.train.digits import train_digits

            t0 = time.perf_counter()
            result = train_digits(epochs=args.epochs, seed=seed, progress=False, out=io.StringIO())
            seconds, accuracy = time.perf_counter() - t0, result.test_accuracy
        results.append((seconds, accuracy))
        print(f"seed {seed}: {seconds:6.2f} s, test accuracy {accuracy:.2%}", flush=True)
    times, accuracies = zip(*results)
    print(f"\n{len(results)} run(s) of {args.epochs} epochs{' (the command, imports included)' if args.cli else ''}: "
          f"median {statistics.median(times):.2f} s (max {max(times):.2f} s; target < {TARGET_SECONDS:.0f} s), "
          f"test accuracy min {min(accuracies):.2%} (target >= {TARGET_ACCURACY:.0%})")
    ok = max(times) < TARGET_SECONDS and min(accuracies) >= TARGET_ACCURACY
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
