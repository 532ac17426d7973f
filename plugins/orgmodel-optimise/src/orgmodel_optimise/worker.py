"""A solver process: ``python -m orgmodel_optimise.worker TASKS RESULTS`` solves the pickled parts in
TASKS (written by :func:`orgmodel_optimise.solve._run`) and writes their results, in order, to RESULTS."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    """Solve every task of ``argv[0]`` into ``argv[1]``."""
    from orgmodel_optimise.solve import _solve_task

    tasks = pickle.loads(Path(argv[0]).read_bytes())
    Path(argv[1]).write_bytes(pickle.dumps([_solve_task(t) for t in tasks], protocol=pickle.HIGHEST_PROTOCOL))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
