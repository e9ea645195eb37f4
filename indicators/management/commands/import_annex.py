import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from indicators.annex import AnnexFileError, parse_grid, read_grid
from indicators.models import PLAN_YEAR_MAX, PLAN_YEAR_MIN
from indicators.services import annex_import


class Command(BaseCommand):
    help = "Import the annex workbook (.xlsx) of a year's reform plan: all rows or nothing."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the .xlsx workbook")
        parser.add_argument(
            "--year",
            type=int,
            help=f"plan year, {PLAN_YEAR_MIN}-{PLAN_YEAR_MAX} (default: from the title row)",
        )
        parser.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
        parser.add_argument(
            "--draft",
            action="store_true",
            help="a new plan starts as a draft (草案: no tasks until adopted); default: active",
        )
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, path: Path, year, dry_run, format, draft=False, **options):
        try:
            data = path.read_bytes()
        except OSError as e:
            raise CommandError(f"cannot read {path}: {e.strerror}") from e
        try:
            annex = parse_grid(read_grid(data), year=year)
        except AnnexFileError as e:
            if format == "json":
                self._print_json(
                    {"errors": [{"row": None, "column": None, "message": str(e), "text": str(e)}]}
                )
            raise CommandError(str(e), returncode=1) from e

        report = annex_import(annex=annex, dry_run=dry_run, draft=draft)
        if format == "json":
            self._print_json(report.as_json())
        else:
            for problem in report.warnings:
                self.stderr.write(f"warning: {problem}")
            for problem in report.errors:
                self.stderr.write(f"error: {problem}")
            for name, kind in report.new_units:
                self.stdout.write(f"new {'group' if kind == 'group' else 'unit'}: {name}")
            self.stdout.write(report.summary_line())
        if not report.ok:
            raise CommandError("import refused: nothing was written", returncode=1)

    def _print_json(self, data):
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=1))
