"""The seed programs: TensorFlow code from the two seed documents, run unchanged by ``import tapegrad as tf``.

Each ``<name>.py`` here is a program from ``../shared/seeds/`` with only its import line changed, and
``<name>.expected.txt`` holds exactly what TensorFlow prints for it. This directory is the single copy: the
installed package maps it to ``tapegrad.examples`` (``package-dir`` in ``pyproject.toml``), so ``tapegrad demo``
finds the same files in a checkout, an editable install and a wheel. ``SEEDS`` lists the programs in the order
``tapegrad demo`` runs them, each with the short title it prints above the program's output.

    >>> from tapegrad.examples import SEEDS
    >>> SEEDS[0]
    ('seed0_single_variable', 'derivative of f(x) = 0.25x^2 + 500 at x = 20')
"""

SEEDS: tuple[tuple[str, str], ...] = (
    ("seed0_single_variable", "derivative of f(x) = 0.25x^2 + 500 at x = 20"),
    ("seed0_multi_variable", "gradient of f(x, y) = 0.25x^2 + 500 + 50 ln(y + 1) at x = 25, y = 6"),
    ("seed1_simple_gradient", "gradient of y = x^2 at x = 3"),
    ("seed1_partial_derivatives", "partial derivatives of y = sum(x^2 + 2z), x = fill((2, 3), 3.0), z = 5"),
    ("seed1_task", "the seed's task: derivative of f(x) = x^2 + 2x - 1 at x = 2"),
)
