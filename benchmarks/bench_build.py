"""The roster helpers under their former name, for ``bench_simulate.py`` and ``bench_optimise.py``.

Building is timed by the benchmark suite (``python benchmarks/suite.py``); the rosters come from
``roster.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from roster import all_text as _all_text  # noqa: E402,F401
from roster import peak_rss_mb, write_roster  # noqa: E402,F401
