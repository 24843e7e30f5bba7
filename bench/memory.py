"""Server memory over many wall refreshes: does a 24/7 wall display leak?

    python -m bench.memory [--refreshes 2000]

Plays 30 minutes of the bundled drill into a temporary store, then renders
the wall display `--refreshes` times in one process with Streamlit's
AppTest (each run is a full refresh: every query and chart of the page)
and reads the process's resident memory (VmRSS) after a warm-up and at the
end. Prints one line:

    refreshes=N rss_start_mb=X rss_end_mb=X growth_mb=X ms_per_refresh_median=X
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__.splitlines()[0])
    parser.add_argument("--refreshes", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=50)
    args = parser.parse_args(argv)
    from streamlit.testing.v1 import AppTest

    from monitors.replay import ReplayMonitor
    from sentiment.lexicon import VaderEngine
    from settings import load_settings
    from worker.runner import Runner
    from worker.service import open_store, restart_drill

    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.toml"
        config.write_text(f'[app]\ndata_dir = "{tmp}"\n[runner]\nin_app = false\n[sentiment]\nengine = "vader"\n')
        settings = load_settings(config)
        db = open_store(settings)
        restart_drill(db, settings, at_s=1800)
        Runner(db, [ReplayMonitor(settings.scenario_path)], VaderEngine()).run_pending()
        os.environ["CRISISDESK_CONFIG"] = str(config)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        for _ in range(args.warmup):
            at.run()
        gc.collect()
        start = rss_mb()
        times = []
        for _ in range(args.refreshes):
            began = time.perf_counter()
            at.run()
            times.append((time.perf_counter() - began) * 1000)
            if at.exception:
                raise SystemExit(f"the wall failed: {at.exception}")
        gc.collect()
        end = rss_mb()
    print(
        f"refreshes={args.refreshes} rss_start_mb={start:.1f} rss_end_mb={end:.1f} growth_mb={end - start:.1f} "
        f"ms_per_refresh_median={statistics.median(times):.0f}",
        flush=True,
    )


if __name__ == "__main__":
    main()
