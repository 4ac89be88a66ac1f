# shsim plot: draws a study's figures with matplotlib (Debian's python3-matplotlib). shsim embeds
# this file and runs it as `python3 -c SCRIPT SPEC.json`; SPEC names the tables (points.csv,
# boundaries.csv, or a run's timelines.csv) and the figures to draw. Each figure is written as PNG
# and SVG with the CSV of exactly what it plots beside it.
import csv
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams["svg.hashsalt"] = "shsim"  # the same SVG bytes from the same data
matplotlib.rcParams["svg.fonttype"] = "none"
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator  # noqa: E402


def log_axis(ax, values):
    """A logarithmic horizontal axis whose ticks are the values drawn, written plainly."""
    ax.set_xscale("log")
    ticks = sorted({v for v in values if v is not None and v > 0})
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))


def number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def value_of(text):
    """A cell as a number when it is one, else its text (an axis of words: consume_at = soft)."""
    n = number(text)
    return text if n is None else n


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def label(name, unit):
    return f"{name} [{unit}]" if unit and unit != "1" else name


def value_text(value, unit):
    if value is None:
        return "?"
    if unit == "s" and isinstance(value, float) and value >= 60:
        return f"{value / 3600:g} h" if value >= 3600 else f"{value / 60:g} min"
    if isinstance(value, str):
        return value
    text = f"{value:g}"
    return f"{text} {unit}" if unit and unit != "1" else text


def save(fig, spec, rows, columns):
    base = os.path.join(spec["folder"], spec["file"])
    with open(base + ".csv", "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if v is None else (f"{v:.12g}" if isinstance(v, float) else v) for v in row])
    fig.savefig(base + ".png", dpi=150, bbox_inches="tight", metadata={"Software": None})
    fig.savefig(base + ".svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    print(base + ".png")


def selected(spec, rows):
    """The rows where every `where` axis has its value."""
    where = spec.get("where") or {}

    def keep(row):
        for column, value in where.items():
            cell = row.get(column)
            if isinstance(value, (int, float)):
                if number(cell) is None or abs(number(cell) - value) > 1e-9 * max(1.0, abs(value)):
                    return False
            elif cell != value:
                return False
        return True

    return [r for r in rows if keep(r)]


def subtitle(spec):
    where = spec.get("where") or {}
    return ", ".join(f"{k} = {v:g}" if isinstance(v, (int, float)) else f"{k} = {v}" for k, v in where.items())


def curves(spec, points):
    """A metric against one axis, with its 95 % interval as a band, one curve per value of `by`. An
    axis of words (consume_at: soft, safe, ...) is drawn at evenly spaced positions, in the study's
    order of its values."""
    points = selected(spec, points)
    x_col, y, by_col = spec["x_column"], spec["y"], spec.get("by_column")
    words = [row[x_col] for row in points if number(row[x_col]) is None]
    categories = list(dict.fromkeys(words))  # first-seen order: the axis's order in the study

    def x_of(row):
        return number(row[x_col]) if not categories else float(categories.index(row[x_col]))

    series = {}
    for row in points:
        if row["metric"] != y:
            continue
        key = value_of(row[by_col]) if by_col else None
        series.setdefault(key, []).append(
            (x_of(row), number(row["mean"]), number(row["ci95_low"]), number(row["ci95_high"]), int(row["n"]))
        )
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    out = []
    for key in sorted(series, key=series_order):
        data = sorted((p for p in series[key] if p[0] is not None and p[1] is not None), key=lambda p: p[0])
        if not data:
            continue
        xs = [p[0] for p in data]
        ys = [p[1] for p in data]
        name = f"{spec['by']} = {value_text(key, spec.get('by_unit'))}" if by_col else y
        (line,) = ax.plot(xs, ys, marker="o", markersize=3, label=name)
        lows = [p[2] if p[2] is not None else p[1] for p in data]
        highs = [p[3] if p[3] is not None else p[1] for p in data]
        ax.fill_between(xs, lows, highs, alpha=0.2, color=line.get_color(), linewidth=0)
        for p in data:
            out.append([key if by_col else "", categories[int(p[0])] if categories else p[0], p[1], p[2], p[3], p[4]])
    if categories:
        ax.set_xticks(range(len(categories)))
        ax.set_xticklabels(categories)
    elif spec.get("log_x"):
        log_axis(ax, [row[1] for row in out])
    if spec.get("log_y"):
        ax.set_yscale("log")
    ax.set_xlabel(label(spec["x"], spec.get("x_unit")))
    ax.set_ylabel(label(y, spec.get("y_unit")))
    ax.set_title((spec.get("title") or f"{y} against {spec['x']}") + (f"\n({subtitle(spec)})" if subtitle(spec) else ""))
    ax.grid(True, alpha=0.3)
    if by_col:
        ax.legend(fontsize=8)
    fig.text(0.01, -0.02, "bands: 95 % confidence interval of the mean", fontsize=7, alpha=0.7)
    save(fig, spec, out, [spec.get("by_column") or "series", spec["x_column"], f"{y}.mean", "ci95_low", "ci95_high", "n"])


def series_order(key):
    """Numbers in order, then words alphabetically, then none."""
    return (key is None, isinstance(key, str), key if not isinstance(key, str) else 0, str(key))


def frontier(spec, points):
    """Two metrics against each other, one point per study point (error bars: 95 % intervals)."""
    points = selected(spec, points)
    mx, my, by_col = spec["frontier"][0], spec["frontier"][1], spec.get("by_column")
    label_col = spec.get("label_column")
    # With labels, each series is drawn in the order of the label axis's values (soft, safe, ...);
    # points.csv lists points in the study's order, so first appearance is that order.
    label_order = list(dict.fromkeys(row[label_col] for row in points)) if label_col else []
    cells = {}
    for row in points:
        if row["metric"] in (mx, my):
            cells.setdefault(row["point"], {})[row["metric"]] = row
    series = {}
    for point, metrics in cells.items():
        if mx not in metrics or my not in metrics:
            continue
        a, b = metrics[mx], metrics[my]
        key = value_of(a[by_col]) if by_col else None
        tag = value_text(value_of(a[label_col]), spec.get("label_unit")) if label_col else None
        series.setdefault(key, []).append((number(a["mean"]), number(b["mean"]), number(a["ci95_low"]),
                                           number(a["ci95_high"]), number(b["ci95_low"]), number(b["ci95_high"]),
                                           int(point), tag, label_order.index(a[label_col]) if label_col else 0))
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    out = []
    means = [p for pts in series.values() for p in pts if p[0] is not None and p[1] is not None]
    # A metric whose means are all >= 0 (a loss, a count) cannot have a negative mean: its intervals
    # (Student t, which knows nothing of the sign) are cut at 0.
    floor_x = 0.0 if means and all(p[0] >= 0 for p in means) else None
    floor_y = 0.0 if means and all(p[1] >= 0 for p in means) else None

    def low(value, bound, floor):
        bound = value if bound is None else bound
        return value - (bound if floor is None else max(floor, bound))

    for key in sorted(series, key=series_order):
        data = sorted((p for p in series[key] if p[0] is not None and p[1] is not None),
                      key=lambda p: (p[8], p[0], p[1]) if label_col else (p[0], p[1]))
        if not data:
            continue
        xs, ys = [p[0] for p in data], [p[1] for p in data]
        xerr = [[max(0.0, low(p[0], p[2], floor_x)) for p in data],
                [max(0.0, (p[3] if p[3] is not None else p[0]) - p[0]) for p in data]]
        yerr = [[max(0.0, low(p[1], p[4], floor_y)) for p in data],
                [max(0.0, (p[5] if p[5] is not None else p[1]) - p[1]) for p in data]]
        name = f"{spec['by']} = {value_text(key, spec.get('by_unit'))}" if by_col else None
        bars = ax.errorbar(xs, ys, xerr=xerr, yerr=yerr, marker="o", markersize=3, capsize=2, label=name)
        for p in data:
            if p[7] is not None:
                ax.annotate(p[7], (p[0], p[1]), textcoords="offset points", xytext=(4, 3), fontsize=6,
                            color=bars[0].get_color())
            out.append([p[6], key if by_col else "", p[0], p[2], p[3], p[1], p[4], p[5]] + ([p[7]] if label_col else []))
    if spec.get("log_x"):
        ax.set_xscale("log")
    if spec.get("log_y"):
        # Symmetric log, linear below the smallest non-zero mean, so that zeros still show.
        nonzero = [abs(p[1]) for p in means if p[1] != 0]
        ax.set_yscale("symlog", linthresh=min(nonzero) if nonzero else 1.0)
    ax.set_xlabel(label(mx, spec.get("x_unit")))
    ax.set_ylabel(label(my, spec.get("y_unit")))
    ax.set_title((spec.get("title") or f"{my} against {mx}") + (f"\n({subtitle(spec)})" if subtitle(spec) else ""))
    ax.grid(True, alpha=0.3)
    if by_col:
        ax.legend(fontsize=8)
    save(fig, spec, out, ["point", spec.get("by_column") or "series", f"{mx}.mean", f"{mx}.ci95_low",
                          f"{mx}.ci95_high", f"{my}.mean", f"{my}.ci95_low", f"{my}.ci95_high"]
         + ([label_col] if label_col else []))


def boundary(spec, rows):
    """Where --find's condition changes along one parameter, against the study's other axes: the
    first of them along the horizontal, one curve per value of the second."""
    columns = list(rows[0].keys()) if rows else []
    low_col = next((c for c in columns if c.endswith("_low")), None)
    if low_col is None:
        return
    along = low_col[: -len("_low")]
    high_col = along + "_high"
    condition = f"{rows[0]['metric']} {rows[0]['condition']}"
    axes = columns[1 : columns.index("metric")]
    x_col = spec.get("x_column") if spec.get("x_column") in axes else (axes[0] if axes else "point")
    by_col = next((c for c in axes if c != x_col), None)
    series = {}
    for row in rows:
        key = number(row[by_col]) if by_col else None
        series.setdefault(key, []).append((number(row.get(x_col)), number(row[low_col]), number(row[high_col]),
                                           row["status"]))
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    out, xs_all = [], []
    for key in sorted(series, key=lambda k: (k is None, k)):
        data = sorted(series[key], key=lambda p: (p[0] is None, p[0] if p[0] is not None else 0))
        found = [p for p in data if p[0] is not None and p[1] is not None and p[2] is not None]
        xs = [p[0] for p in found]
        xs_all += xs
        name = f"{by_col} = {key:g}" if by_col and key is not None else f"{condition}: changes here"
        if found:
            (line,) = ax.plot(xs, [(p[1] + p[2]) / 2 for p in found], marker="o", markersize=3, label=name)
            ax.fill_between(xs, [p[1] for p in found], [p[2] for p in found], alpha=0.25, linewidth=0,
                            color=line.get_color())
        for p in data:
            out.append([key if by_col else "", p[0], p[1], p[2], p[3]])
    if spec.get("log_x") and x_col == spec.get("x_column"):
        log_axis(ax, xs_all)
    ax.set_xlabel(x_col)
    ax.set_ylabel(along)
    ax.set_title(spec.get("title") or f"Where {condition} starts or stops holding")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.text(0.01, -0.02, "bands: the bracket of the last two probes; no point: no boundary in the range", fontsize=7,
             alpha=0.7)
    save(fig, spec, out, [by_col or "series", x_col, low_col, high_col, "status"])


def cdfs(spec, rows):
    """Per-transaction stage latencies of one run (timelines.csv), one CDF per stage and chain."""
    stages = [c for c in (rows[0].keys() if rows else []) if c.endswith("_s") and c != "submitted_s"]
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    out = []
    for chain in sorted({r["chain"] for r in rows}):
        for stage in stages:
            values = sorted(v for v in (number(r[stage]) for r in rows if r["chain"] == chain) if v is not None)
            if not values:
                continue
            n = len(values)
            ys = [(i + 1) / n for i in range(n)]
            ax.step(values, ys, where="post", label=f"{chain}: {stage[:-2]}")
            for q in (0.5, 0.9, 0.99):
                out.append([chain, stage[:-2], q, values[min(n - 1, math.ceil(q * n) - 1)], n])
    ax.set_xscale("log")
    ax.set_xlabel("time since submission [s]")
    ax.set_ylabel("share of transactions")
    ax.set_title(spec.get("title") or "Per-transaction stages")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    save(fig, spec, out, ["chain", "stage", "quantile", "seconds", "transactions"])


def main():
    with open(sys.argv[1]) as f:
        job = json.load(f)
    os.makedirs(job["folder"], exist_ok=True)
    tables = {}
    for figure in job["figures"]:
        figure["folder"] = job["folder"]
        table = figure["table"]
        if table not in tables:
            tables[table] = read_rows(table)
        {"curves": curves, "frontier": frontier, "boundary": boundary, "cdf": cdfs}[figure["kind"]](figure, tables[table])


if __name__ == "__main__":
    main()
