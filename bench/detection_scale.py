"""What one detection poll costs with a large store behind it.

    python -m bench.detection_scale [--sizes 1000000] [--polls 30] [--database-url URL]

A fresh store (SQLite as the product runs it, or the PostgreSQL database
given by --database-url, which it empties) is filled with N synthetic
messages over 30 days (bench/filler.py, the same as bench.pages), then the
detector polls once a minute for `--polls` minutes, as a runner does: the
first poll reads the week of minute rollups the baseline needs, later ones
only the recent minutes. One line per size:

    store=sqlite|postgresql messages=N detect_ms_first=X detect_ms_median=X detect_ms_max=X fill_s=X
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench.filler import END, add_store_arguments, filled_stores
from crisis.detector import Detector
from crisis.presets import PRESETS


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.detection_scale", description=__doc__.splitlines()[0])
    add_store_arguments(parser, [1_000_000])
    parser.add_argument("--polls", type=int, default=30)
    args = parser.parse_args(argv)
    for db, kind, n, fill_s in filled_stores(args.sizes, args.database_url):
        detector = Detector(db, PRESETS["medium"])
        times = []
        for poll in range(args.polls):
            began = time.perf_counter()
            detector.evaluate(END + 60 * poll + 1)
            times.append((time.perf_counter() - began) * 1000)
        print(
            f"store={kind} messages={n} detect_ms_first={times[0]:.1f} "
            f"detect_ms_median={statistics.median(times[1:]):.1f} detect_ms_max={max(times[1:]):.1f} "
            f"fill_s={fill_s:.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
