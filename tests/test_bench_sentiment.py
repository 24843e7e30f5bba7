"""bench.sentiment prints threads= and load=idle|busy lines, and load=busy
really runs a competing CPU-bound process for the measurement."""

import os
import re

from bench import sentiment as bench


def test_lines_per_load_with_threads(tmp_path, capsys):
    data = tmp_path / "tiny.tsv"
    data.write_text("label\ttext\nnegative\tawful, just awful\npositive\tlove it\nneutral\tthe shop opens at nine\n")
    bench.main([str(data), "--engines", "vader", "--threads", "1", "--repeats", "1", "--single", "2"])
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("engine=")]
    assert [re.search(r"load=(\w+)", line).group(1) for line in lines] == ["idle", "busy"]
    for line in lines:
        fields = dict(part.split("=", 1) for part in line.split())
        assert fields["engine"] == "vader" and fields["threads"] == "1" and fields["n"] == "3"
        assert float(fields["macro_recall"]) == 1.0
        assert float(fields["msgs_per_s_batch"]) > 0 and float(fields["ms_single"]) > 0
        assert "loadavg" in fields


def test_busy_load_is_a_running_cpu_bound_process():
    def cpu_seconds_of_children() -> float:
        return os.times().children_user

    with bench.competing_load("busy"):
        import time

        time.sleep(1.0)
    # The busy loop ran (and was reaped): its CPU time is now counted for this process's children.
    assert cpu_seconds_of_children() > 0.2


def test_unknown_load_or_runtime_is_refused(capsys):
    import pytest

    with pytest.raises(SystemExit):
        bench.main(["--loads", "idle,stormy"])
    assert "--loads: unknown ['stormy']" in capsys.readouterr().err


def test_the_busy_load_ends_with_the_bench_even_when_the_bench_is_killed():
    """load=busy spins a process of its own; a killed bench must not leave it spinning on the machine."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    code = (
        "import time\n"
        "from bench.sentiment import competing_load\n"
        "with competing_load('busy'):\n"
        "    print('busy', flush=True)\n"
        "    time.sleep(60)\n"
    )
    root = Path(bench.__file__).resolve().parent.parent
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=root)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "busy"
    spinners = [int(p) for p in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
    assert len(spinners) == 1
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(spinners[0], 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(spinners[0], 9)
    raise AssertionError("the busy loop outlived the killed bench")
