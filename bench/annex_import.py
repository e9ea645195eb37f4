"""Time and peak memory of importing a synthetic annex of N rows.

    python bench/annex_import.py [--rows 5000] [--real]

Builds a workbook shaped like the 2019 annex (merged category cells, unit
lists with aliases and groups, text and date deadlines), then measures
reading, parsing and the import (a dry run unless --real) against the
database of DATABASE_URL. Uses its own database objects and rolls back."""

import argparse
import datetime as dt
import io
import os
import random
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xsreform.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from departments.models import Unit  # noqa: E402
from indicators.annex import parse_grid, read_grid  # noqa: E402
from indicators.services import annex_import  # noqa: E402
from tasks.models import Task  # noqa: E402

HEADER = ["序号", "指标名称", "目标任务", "牵头单位", "责任单位", "时间进度"]


def synthetic_annex(rows: int, seed: int = 2019) -> bytes:
    rng = random.Random(seed)
    units = [*list(Unit.objects.units().values_list("name", flat=True)), "区卫健局", "区公安局"]
    groups = list(Unit.objects.groups().values_list("name", flat=True))
    book = Workbook()
    sheet = book.active
    sheet.append(["附件"])
    sheet.append(["萧山区2031年度“最多跑一次”改革工作指标和时间安排"])
    sheet.append(HEADER)
    code = 0
    for i in range(rows):
        numbered = rng.random() > 0.05 or code == 0
        if numbered:
            code += 1
        category = f"改革领域{i // 7}" if i % 7 == 0 else None
        task = (
            "推进"
            + "、".join(rng.sample(["数据共享", "一窗受理", "网上办理", "减材料", "减环节"], 3))
            + f"，第{i}项。"
        )
        lead = "、".join(rng.sample(units, rng.randint(0, 2)))
        responsible = "、".join(rng.sample(units + groups, rng.randint(1, 4)))
        month = rng.randint(1, 12)
        deadline = rng.choice([f"{month}月底", "全年", dt.datetime(2031, month, 15)])
        sheet.append([code if numbered else None, category, task, lead, responsible, deadline])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def timed(label, fn, figures):
    start = time.perf_counter()
    value = fn()
    figures.append((label, time.perf_counter() - start))
    return value


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--real", action="store_true", help="write (then roll back) instead of a dry run")
    args = parser.parse_args()

    with transaction.atomic():
        if not Unit.objects.exists():
            call_command("loaddata", "xiaoshan-units", verbosity=0)
        figures = []
        data = timed("build workbook", lambda: synthetic_annex(args.rows), figures)
        if not os.environ.get("BENCH_NO_TRACEMALLOC"):
            tracemalloc.start()
        started = time.perf_counter()
        grid = timed("read .xlsx", lambda: read_grid(data), figures)
        annex = timed("parse rows", lambda: parse_grid(grid), figures)
        report = timed(
            "import (dry run)" if not args.real else "import (write)",
            lambda: annex_import(annex=annex, dry_run=not args.real),
            figures,
        )
        total = time.perf_counter() - started
        tasks = Task.objects.filter(indicator__plan__year=report.year).count()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        transaction.set_rollback(True)

    print(f"database: {connection.vendor}; workbook: {len(data) / 1024:.0f} KiB, {args.rows} rows")
    print(f"result: {report.summary_line()}" + (f"; {tasks} tasks" if args.real else ""))
    print(f"{'phase':<20} {'seconds':>8}")
    for label, seconds in figures:
        print(f"{label:<20} {seconds:>8.2f}")
    print(f"{'read+parse+import':<20} {total:>8.2f}")
    if peak:
        print(f"peak Python memory (tracemalloc, slows the run): {peak / 1024 / 1024:.1f} MiB")
    print(f"max RSS of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
