import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dashboards.bulletin import bulletin_document
from dashboards.bulletin_text import TemplateProblem
from dashboards.report import cn_date, monthly_report_workbook
from indicators.models import Plan
from tasks.selectors import current_plan


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {value}") from None


class Command(BaseCommand):
    help = (
        "Write the monthly report (月度通报) of a plan, as of a day: the workbook to PATH.xlsx, "
        "the 通报 (Word) to PATH.docx."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the .xlsx or .docx file to write")
        parser.add_argument(
            "--plan", type=int, metavar="YEAR", help="plan year (default: this year's, else the newest)"
        )
        parser.add_argument(
            "--as-of", type=_date, metavar="DATE", help="the state at the end of this day (default: today)"
        )

    def handle(self, *args, path: Path, plan=None, as_of=None, **options):
        today = timezone.localdate()
        as_of = as_of or today
        if as_of > today:
            raise CommandError(f"--as-of {as_of} is in the future; the report can only look back")
        plans = list(Plan.objects.order_by("-year"))
        chosen = current_plan(plans, year=str(plan) if plan else None, on=today)
        if chosen is None or (plan and chosen.year != plan):
            raise CommandError(f"no plan for year {plan}" if plan else "there is no plan yet")
        if path.suffix.lower() == ".docx":
            try:
                data = bulletin_document(plan=chosen, as_of=as_of, today=today)
            except TemplateProblem as problem:
                raise CommandError(f"通报模板有误：{problem}") from None
        elif path.suffix.lower() == ".xlsx":
            data = monthly_report_workbook(plan=chosen, as_of=as_of, today=today)
        else:
            raise CommandError(f"{path}: the file must end in .xlsx (the workbook) or .docx (the 通报)")
        try:
            path.write_bytes(data)
        except OSError as e:
            raise CommandError(f"cannot write {path}: {e.strerror}") from e
        self.stdout.write(f"{path}: {chosen}，截至{cn_date(as_of)}，{len(data) / 1024:.0f} KiB")
