"""Where benchmark figures are written: one `## <title>` section per benchmark in
docs/benchmarks.md, replaced in place so each benchmark owns only its own section."""

import os
import re
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
INTRO = """# Benchmarks

The machine these run on is shared and has 2 cores, so absolute figures move from run to run.
Every figure that matters here is therefore a ratio against a baseline measured in the same run,
on the same machine, against the same database; absolute numbers are shown only for context.
Run them with `make bench` (all) or `python -m bench.run NAME`. Benchmarks are not tests: the
test suite asserts no timings.
"""


def commit() -> str:
    """The checked-out commit, read from .git without running git. In a worktree .git is a
    file naming the worktree's own directory (its HEAD), whose `commondir` holds the refs."""
    git = ROOT / ".git"
    try:
        if git.is_file():
            git = (ROOT / git.read_text().strip().removeprefix("gitdir:").strip()).resolve()
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head[:12]
        ref = head[5:]
        if (git / "commondir").exists():
            git = (git / (git / "commondir").read_text().strip()).resolve()
        if (git / ref).exists():
            return (git / ref).read_text().strip()[:12]
        for line in (git / "packed-refs").read_text().splitlines():
            if line.endswith(" " + ref):
                return line.split()[0][:12]
    except OSError:
        pass
    return "unknown"


def provenance() -> str:
    return f"Measured {datetime.now(UTC):%Y-%m-%d} at commit `{commit()}` on {os.cpu_count()} cores"


def write_section(title: str, body: str) -> None:
    text = DOC.read_text() if DOC.exists() else INTRO
    section = f"## {title}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text)


def busy_pct(before, after) -> float:
    """How busy the whole machine was between two psutil.cpu_times(), in percent: the machine is
    shared, so a figure can be read against what else ran."""
    busy = sum(
        getattr(after, f) - getattr(before, f)
        for f in ("user", "system", "nice", "irq", "softirq", "steal")
    )
    idle = (after.idle - before.idle) + (after.iowait - before.iowait)
    return 100 * busy / max(1e-9, busy + idle)
