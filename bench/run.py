"""Run benchmarks by name: `python -m bench.run [NAME|all] [ARGS...]` (`make bench` runs all).

Each benchmark is a module with `main(argv: list[str])`; ARGS are passed to it (with `all`, to
every one, so give benchmark-specific options only when running one). To add one, write
bench/<name>.py and list it in BENCHMARKS. Modules load only when run, so one benchmark's
imports never slow or break another."""

import importlib
import importlib.util
import sys
from collections.abc import Callable


def _lazy(module: str) -> Callable[[list[str]], object]:
    def run(argv: list[str]) -> object:
        return importlib.import_module(module).main(argv)

    return run


BENCHMARKS: dict[str, Callable[[list[str]], object]] = {
    "api_read": _lazy("bench.api_read"),
    "creator_import": _lazy("bench.creator_import"),
    "discovery": _lazy("bench.discovery"),
    "ingest": _lazy("bench.ingest"),
    "kpis": _lazy("bench.kpis"),
    "listening": _lazy("bench.listening"),
    "scale": _lazy("bench.scale"),
    "scheduler": _lazy("bench.scheduler"),
    "webhooks": _lazy("bench.webhooks"),
}


def _available(name: str) -> bool:
    return importlib.util.find_spec(f"bench.{name}") is not None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__.strip() + "\n\nbenchmarks: " + ", ".join(BENCHMARKS) + ", all")
        return 0
    name, rest = (argv[0], argv[1:]) if argv and not argv[0].startswith("-") else ("all", argv)
    if name not in BENCHMARKS and name != "all":
        print(
            f"bench: unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}, all",
            file=sys.stderr,
        )
        return 2
    if name != "all":
        BENCHMARKS[name](rest)
        return 0
    for each, run in BENCHMARKS.items():
        if not _available(each):
            print(f"bench: skipping {each} (bench/{each}.py is not written yet)", flush=True)
            continue
        print(f"bench: == {each} ==", flush=True)
        run(rest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
