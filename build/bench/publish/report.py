#!/usr/bin/env python3
"""Turns the runs recorded by build/bench/publish.sh into Markdown tables (medians), ratios and target checks.

Inputs in the work folder: runs.tsv (one row per measured command), logs/<label>.out (console output with
-clp:PerformanceSummary), logs/<label>.access (the registry access-log lines written during the command),
logs/<label>.time (/usr/bin/time -v), logs/<app>.publish-bytes|files, logs/<label>.digest (phase fresh: the manifest digest the tag pointed at after
the publish); the registry's storage for blob sizes.
"""
import argparse
import csv
import os
import re
import statistics
import sys
import urllib.parse

# The container step's tasks. The built-in runs CreateNewImage once per platform and, for several platforms,
# CreateImageIndex once; their times are added up (inner publishes of several platforms may overlap).
TASK = {"builtin": ("CreateNewImage", "CreateImageIndex"), "ours": ("BuildContainerImage",)}
TOOL_NAME = {"builtin": "built-in", "ours": "ContainerTasks"}
APP_NAME = {
    "hello": "(a) HelloContainer (console)",
    "web": "(b) ASP.NET Core web app, large NuGet dependencies",
    "sc": "(c) console, -r linux-x64 --self-contained",
    "mp": "(d) console, self-contained, ContainerRuntimeIdentifiers=linux-x64;linux-arm64",
    "win": "(e) HelloContainer, -r win-x64 (framework-dependent)",
}
APP_BASE = {"hello": "dotnet/runtime", "web": "dotnet/aspnet", "sc": "dotnet/runtime",
            "mp": "dotnet/runtime, two-platform index", "win": "Windows-shaped nanoserver runtime"}
PHASES = [
    ("cold", "cold"),
    ("nochange", "no change"),
    ("change", "one-line change"),
    ("mem", "one-line change, container step alone"),
    ("fresh-a", "fresh runner A: commit 1 (setup)"),
    ("fresh-b1", "fresh runner B: commit 2 (one-line change)"),
    ("fresh-b2", "fresh runner B: commit 1 again (no change)"),
]
LINE_RE = re.compile(r'"(\w+) (\S+) HTTP/[\d.]+" (\d+) (\d+)')
TASK_RE = re.compile(r"^\s*(\d+) ms\s+(\S+)\s+(\d+) calls", re.M)


def blob_size(data, digest):
    algo, hexd = digest.split(":")
    path = os.path.join(data, "docker", "registry", "v2", "blobs", algo, hexd[:2], hexd, "data")
    return os.path.getsize(path) if os.path.exists(path) else 0


def traffic(data, path):
    requests = uploads = up_bytes = 0
    for line in open(path, errors="replace"):
        m = LINE_RE.search(line)
        if not m or "/v2/" not in m.group(2) or m.group(2) == "/v2/":
            continue
        method, target, status = m.group(1), m.group(2), int(m.group(3))
        requests += 1
        query = urllib.parse.parse_qs(urllib.parse.urlparse(target).query)
        if method == "PUT" and "/blobs/uploads/" in target and status == 201 and "digest" in query:
            uploads += 1
            up_bytes += blob_size(data, query["digest"][0])
    return requests, uploads, up_bytes


def task_ms(path, tasks):
    """Total time of the given tasks in the performance summary; None if the first of them is not there."""
    text = open(path, errors="replace").read()
    section = text.split("Task Performance Summary:", 1)
    if len(section) < 2:
        return None
    found = {}
    for ms, name, _ in TASK_RE.findall(section[1]):
        for task in tasks:
            if name == task or name.endswith("." + task):
                found[task] = found.get(task, 0) + int(ms)
    return sum(found.values()) if tasks[0] in found else None


def read_digest(path):
    try:
        return open(path).read().strip() or None
    except OSError:
        return None


def max_rss_mib(path):
    for line in open(path):
        if "Maximum resident set size" in line:
            return int(line.rsplit(":", 1)[1]) / 1024
    return None


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt_range(values, digits=2, scale=1.0):
    values = [v * scale for v in values if v is not None]
    if not values:
        return "–"
    m = statistics.median(values)
    if len(values) == 1:
        return f"{m:.{digits}f}"
    return f"{m:.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def fmt_int(v):
    return "–" if v is None else f"{int(round(v)):,}"


def ratio(a, b, digits=3):
    if a is None or b is None:
        return "–"
    if b == 0:
        return "∞" if a else "–"
    r = a / b
    return f"{r:.{digits}f}" if r < 10 else f"{r:,.0f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--registry-data", required=True)
    ap.add_argument("--apps", required=True)
    ap.add_argument("--smoke", default="0")
    ap.add_argument("--meta", action="append", default=[])
    a = ap.parse_args()
    logs = os.path.join(a.work, "logs")
    apps = a.apps.split()

    runs = {}  # (app, tool, phase) -> list of dicts
    with open(os.path.join(a.work, "runs.tsv")) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            req, ups, upb = traffic(a.registry_data, os.path.join(logs, row["slice"]))
            r = {
                "rep": int(row["rep"]),
                "wall": float(row["wall_s"]),
                "task_ms": task_ms(os.path.join(logs, row["out"]), TASK[row["tool"]]),
                "requests": req,
                "uploads": ups,
                "bytes": upb,
                "rss": max_rss_mib(os.path.join(logs, row["time"])) if row["time"] != "-" else None,
                "digest": read_digest(os.path.join(logs, row["out"][:-len(".out")] + ".digest")),
            }
            runs.setdefault((row["app"], row["tool"], row["phase"]), []).append(r)

    def col(app, tool, phase, key):
        return [r[key] for r in runs.get((app, tool, phase), [])]

    def m(app, tool, phase, key):
        return med(col(app, tool, phase, key))

    out = []
    w = out.append
    for line in a.meta:
        w(f"- {line}")
    w("")
    w("| app | publish output | files | base image |")
    w("|---|--:|--:|---|")
    for app in apps:
        try:
            size = int(open(os.path.join(logs, f"{app}.publish-bytes")).read())
            files = int(open(os.path.join(logs, f"{app}.publish-files")).read())
            w(f"| {APP_NAME[app]} | {size / 1e6:.1f} MB | {files} | {APP_BASE[app]} |")
        except (OSError, ValueError):
            w(f"| {APP_NAME[app]} | – | – | {APP_BASE[app]} |")
    w("")

    for app in apps:
        w(f"### {APP_NAME[app]}")
        w("")
        w("| phase | tool | wall time (s) | container step (ms) | blobs uploaded | bytes uploaded | requests | peak RSS (MiB) | peak RSS, same msbuild with -t:Publish (MiB) |")
        w("|---|---|--:|--:|--:|--:|--:|--:|--:|")
        for phase, pname in PHASES:
            for tool in ("builtin", "ours"):
                rs = runs.get((app, tool, phase))
                if not rs:
                    continue
                rss = fmt_range(col(app, tool, phase, "rss"), 0) if phase == "mem" else ""
                base_rss = fmt_range(col(app, tool, "base", "rss"), 0) if phase == "mem" else ""
                w(f"| {pname} | {TOOL_NAME[tool]} | {fmt_range(col(app, tool, phase, 'wall'))} | "
                  f"{fmt_range(col(app, tool, phase, 'task_ms'), 0)} | {fmt_int(m(app, tool, phase, 'uploads'))} | "
                  f"{fmt_int(m(app, tool, phase, 'bytes'))} | {fmt_int(m(app, tool, phase, 'requests'))} | {rss} | {base_rss} |")
        w("")

    w("### Ratios, ContainerTasks ÷ built-in (medians)")
    w("")
    w("| app | phase | wall time | container step | bytes uploaded | built-in bytes ÷ ours | requests | peak RSS |")
    w("|---|---|--:|--:|--:|--:|--:|--:|")
    for app in apps:
        for phase, pname in PHASES:
            if (app, "ours", phase) not in runs or (app, "builtin", phase) not in runs:
                continue
            g = lambda tool, key: m(app, tool, phase, key)  # noqa: E731
            ob, bb = g("ours", "bytes"), g("builtin", "bytes")
            fewer = "–" if bb is None or ob is None else ("all (ours 0)" if ob == 0 and bb > 0 else ratio(bb, ob, 1) + "×")
            w(f"| {app} | {pname} | {ratio(g('ours', 'wall'), g('builtin', 'wall'))} | {ratio(g('ours', 'task_ms'), g('builtin', 'task_ms'))} | "
              f"{ratio(ob, bb, 6)} | {fewer} | {ratio(g('ours', 'requests'), g('builtin', 'requests'))} | "
              f"{ratio(g('ours', 'rss'), g('builtin', 'rss')) if phase == 'mem' else ''} |")
    w("")

    # Fresh runners (phase fresh): runner B of each repetition against runner A of the same repetition.
    def same_digest(app, tool):
        """(B' runs whose manifest digest is runner A's, B' runs with a digest to compare)."""
        a_by_rep = {r["rep"]: r["digest"] for r in runs.get((app, tool, "fresh-a"), [])}
        pairs = [(a_by_rep.get(r["rep"]), r["digest"]) for r in runs.get((app, tool, "fresh-b2"), [])]
        pairs = [(x, y) for x, y in pairs if x and y]
        return sum(x == y for x, y in pairs), len(pairs)

    fresh_apps = [app for app in apps if any((app, t, "fresh-b1") in runs for t in ("builtin", "ours"))]
    if fresh_apps:
        w("### Fresh runner: runner A published commit 1; a new runner B (new checkout at another path, empty caches and HOME) publishes to the same repository:tag")
        w("")
        w("| app | tool | B, commit 2: container step (ms) | B, commit 2: wall time (s) | B, commit 2: bytes uploaded | B, commit 1 again: container step (ms) | B, commit 1 again: bytes uploaded | B, commit 1 again: same digest as A | A, commit 1: container step (ms) |")
        w("|---|---|--:|--:|--:|--:|--:|---|--:|")
        for app in fresh_apps:
            for tool in ("builtin", "ours"):
                if (app, tool, "fresh-b1") not in runs:
                    continue
                same, total = same_digest(app, tool)
                digest = "–" if not total else (("yes" if same == total else "no") + (f" ({same} of {total})" if total > 1 else ""))
                w(f"| {app} | {TOOL_NAME[tool]} | {fmt_range(col(app, tool, 'fresh-b1', 'task_ms'), 0)} | "
                  f"{fmt_range(col(app, tool, 'fresh-b1', 'wall'))} | {fmt_int(m(app, tool, 'fresh-b1', 'bytes'))} | "
                  f"{fmt_range(col(app, tool, 'fresh-b2', 'task_ms'), 0)} | {fmt_int(m(app, tool, 'fresh-b2', 'bytes'))} | {digest} | "
                  f"{fmt_range(col(app, tool, 'fresh-a', 'task_ms'), 0)} |")
        w("")
        w("| app | runner B, commit 2: container step, ContainerTasks ÷ built-in | built-in ÷ ours | wall time, ours ÷ built-in | bytes uploaded, ours ÷ built-in | built-in bytes ÷ ours | runner B, commit 1 again: container step, ours ÷ built-in |")
        w("|---|--:|--:|--:|--:|--:|--:|")
        for app in fresh_apps:
            if (app, "ours", "fresh-b1") not in runs or (app, "builtin", "fresh-b1") not in runs:
                continue
            g = lambda tool, key, phase="fresh-b1": m(app, tool, phase, key)  # noqa: E731
            ob, bb = g("ours", "bytes"), g("builtin", "bytes")
            fewer = "–" if bb is None or ob is None else ("all (ours 0)" if ob == 0 and bb > 0 else ratio(bb, ob, 1) + "×")
            faster = ratio(g("builtin", "task_ms"), g("ours", "task_ms"), 2)
            w(f"| {app} | {ratio(g('ours', 'task_ms'), g('builtin', 'task_ms'))} | {faster if faster == '–' else faster + '×'} | "
              f"{ratio(g('ours', 'wall'), g('builtin', 'wall'))} | {ratio(ob, bb, 6)} | {fewer} | "
              f"{ratio(g('ours', 'task_ms', 'fresh-b2'), g('builtin', 'task_ms', 'fresh-b2'))} |")
        w("")

    # Targets.
    checks = []

    def check(name, ok, measured):
        checks.append((name, ok, measured))

    for app in ("web", "sc"):
        if app not in apps:
            continue
        bb, ob = m(app, "builtin", "change", "bytes"), m(app, "ours", "change", "bytes")
        bt, ot = m(app, "builtin", "change", "task_ms"), m(app, "ours", "change", "task_ms")
        if None not in (bb, ob):
            check(f"{app}, one-line change: ≥ 1000× fewer blob bytes uploaded", ob == 0 or bb / ob >= 1000,
                  f"{fmt_int(bb)} B ÷ {fmt_int(ob)} B = {ratio(bb, ob, 1)}×")
        if None not in (bt, ot):
            check(f"{app}, one-line change: container step ≥ 10× faster", ot == 0 or bt / ot >= 10,
                  f"{fmt_int(bt)} ms ÷ {fmt_int(ot)} ms = {ratio(bt, ot, 1)}×")
    if ("web", "ours", "nochange") in runs:
        ob, ot = m("web", "ours", "nochange", "bytes"), m("web", "ours", "nochange", "task_ms")
        mx = max(col("web", "ours", "nochange", "bytes") or [0])
        check("web, no change: zero blob bytes uploaded", ob == 0 and mx == 0, f"{fmt_int(mx)} B (largest run)")
        if ot is not None:
            check("web, no change: container step < 150 ms", ot < 150, f"{fmt_int(ot)} ms (median; range {fmt_range(col('web', 'ours', 'nochange', 'task_ms'), 0)})")
    if "web" in apps:
        bt, ot = m("web", "builtin", "cold", "task_ms"), m("web", "ours", "cold", "task_ms")
        if None not in (bt, ot):
            check("web, cold: container step ≤ ½ of the built-in's", ot <= bt / 2, f"{fmt_int(ot)} ms ÷ {fmt_int(bt)} ms = {ratio(ot, bt, 2)}")
    if ("web", "ours", "fresh-b1") in runs and ("web", "builtin", "fresh-b1") in runs:   # issue #11
        bt, ot = m("web", "builtin", "fresh-b1", "task_ms"), m("web", "ours", "fresh-b1", "task_ms")
        bb, ob = m("web", "builtin", "fresh-b1", "bytes"), m("web", "ours", "fresh-b1", "bytes")
        if None not in (bt, ot):
            check("web, fresh runner B, commit 2: container step ≥ 8× faster than the built-in's", ot == 0 or bt / ot >= 8,
                  f"{fmt_int(bt)} ms ÷ {fmt_int(ot)} ms = {ratio(bt, ot, 2)}×")
        if None not in (bb, ob):
            check("web, fresh runner B, commit 2: ≥ 1000× fewer blob bytes uploaded", ob == 0 or bb / ob >= 1000,
                  f"{fmt_int(bb)} B ÷ {fmt_int(ob)} B = {ratio(bb, ob, 1)}×")
    if ("web", "ours", "fresh-b2") in runs:
        mx = max(col("web", "ours", "fresh-b2", "bytes"))
        same, total = same_digest("web", "ours")
        check("web, fresh runner B, commit 1 again: 0 blob bytes and runner A's digest", mx == 0 and total > 0 and same == total,
              f"{fmt_int(mx)} B (largest run); same digest as A in {same} of {total}")
    if "web" in apps and "hello" in apps:
        for tool in ("ours", "builtin"):
            ra, rb = m("hello", tool, "mem", "rss"), m("web", tool, "mem", "rss")
            ba, bb2 = m("hello", tool, "base", "rss"), m("web", tool, "base", "rss")
            if None in (ra, rb):
                continue
            extra = "" if None in (ba, bb2) else f"; the same msbuild with -t:Publish {ba:.0f} → {bb2:.0f} MiB (+{bb2 - ba:.0f})"
            name = "peak RSS of the container-step process grows < 64 MiB from (a) to (b)"
            if tool == "ours":
                check(name, rb - ra < 64, f"{ra:.0f} → {rb:.0f} MiB (+{rb - ra:.0f}){extra}")
            else:
                checks.append((f"(built-in, for comparison) {name}", None, f"{ra:.0f} → {rb:.0f} MiB (+{rb - ra:.0f}){extra}"))
    if ("hello", "ours", "nochange") in runs:
        mx = max(col("hello", "ours", "nochange", "bytes"))
        check("hello, no change: ContainerTasks uploads nothing", mx == 0, f"{fmt_int(mx)} B (largest run)")
    if checks:
        w("### Targets")
        w("")
        w("| target | measured | holds |")
        w("|---|---|---|")
        for name, ok, measured in checks:
            w(f"| {name} | {measured} | {'–' if ok is None else ('yes' if ok else '**no**')} |")
        w("")

    # What ContainerTasks did on its last (unmeasured) one-line change, from its -v:d output.
    for app in apps:
        path = os.path.join(logs, f"{app}.ours.detail.1.out")
        if not os.path.exists(path):
            continue
        lines = [l.strip() for l in open(path, errors="replace")
                 if re.search(r"Layer \d+ \(|Layers compressed|Layers: \d+|pushed to|already in", l)]
        ms = task_ms(path, TASK["ours"])
        w(f"<details><summary>{app}: ContainerTasks on a one-line change at -v:d (container step {fmt_int(ms)} ms)</summary>")
        w("")
        w("```")
        seen = set()
        for l in lines:
            if l not in seen:
                seen.add(l)
                w(l)
        w("```")
        w("</details>")
        w("")

    print("\n".join(out))

    # Sanity checks (all runs), and the smoke run's pass/fail.
    failed = [f"{k}: no {TASK[k[1]][0]} time in the performance summary" for k, rs in runs.items()
              if k[2] != "base" and any(r["task_ms"] is None for r in rs)]
    if a.smoke == "1":
        failed += [f"{name}: {measured}" for name, ok, measured in checks if ok is False and "hello" in name]
        for tool in ("builtin", "ours"):
            if ("hello", tool, "cold") in runs and not m("hello", tool, "cold", "bytes"):
                failed.append(f"hello, {tool}, cold: no blob uploaded")
    if failed:
        print("FAILED:\n  " + "\n  ".join(failed), file=sys.stderr)
        sys.exit(1)
    if a.smoke == "1":
        print("smoke: OK", file=sys.stderr)


if __name__ == "__main__":
    main()
