"""The annex in django-import-export: a file format and a resource that hand
the workbook to the one importer (`annex.py` + `services.annex_import`).

django-import-export's defaults do not fit this table, and each is replaced
on purpose:
- its XLSX format takes the first row as the header: ours reads the raw grid
  and `annex.parse_grid` finds the header by its titles;
- its many-to-many widget splits on commas only and silently drops names it
  does not know: units are resolved by the importer, through aliases, and
  unknown names are listed as new units in the preview;
- it saves row by row and keeps going past validation errors unless told
  otherwise: `import_data` runs the whole workbook in one transaction, and
  any error writes nothing;
- it lets every staff user import: settings name the `import_indicator`
  permission (IMPORT_EXPORT_IMPORT_PERMISSION_CODE).
"""

import tablib
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext as _
from import_export import fields, resources
from import_export.formats import base_formats
from import_export.results import Error, Result, RowResult

from .annex import COLUMNS, AnnexFileError, parse_grid, read_grid
from .models import Indicator, Plan
from .services import annex_import
from .xlsx import Sheet, write_workbook

ANNEX_WIDTHS = [6, 16, 60, 24, 36, 10]


class AnnexXLSX(base_formats.XLSX):
    def get_title(self):
        return "xlsx（附件表）"

    def create_dataset(self, in_stream):
        grid = read_grid(in_stream)
        if not any(grid):
            raise AnnexFileError("工作表是空的，没有任何内容。")
        width = max(len(row) for row in grid)
        dataset = tablib.Dataset()
        for row in grid:
            dataset.append(list(row) + [None] * (width - len(row)))
        return dataset

    def export_data(self, dataset, **kwargs):
        sheet = Sheet(
            title="附件",
            caption=dataset.title or "",
            headers=list(dataset.headers),
            rows=[list(row) for row in dataset],
            widths=ANNEX_WIDTHS,
        )
        return write_workbook([sheet])


def _join(names: list[str]) -> str:
    return "、".join(names)


class IndicatorResource(resources.ModelResource):
    code = fields.Field(attribute="code", column_name=COLUMNS["code"])
    category = fields.Field(attribute="category", column_name=COLUMNS["category"])
    task_text = fields.Field(attribute="task_text", column_name=COLUMNS["task_text"])
    lead = fields.Field(column_name=COLUMNS["lead"])
    responsible = fields.Field(column_name=COLUMNS["responsible"])
    deadline_label = fields.Field(attribute="deadline_label", column_name=COLUMNS["deadline"])

    class Meta:
        model = Indicator
        fields = ("code", "category", "task_text", "lead", "responsible", "deadline_label")
        export_order = fields

    def get_export_queryset(self, request=None, **kwargs):
        return Indicator.objects.with_units()

    def dehydrate_lead(self, indicator):
        return _join(indicator.lead_names)

    def dehydrate_responsible(self, indicator):
        return _join(indicator.responsible_names)

    def export(self, queryset=None, **kwargs):
        queryset = (queryset if queryset is not None else Indicator.objects.all()).prefetch_related(None)
        queryset = queryset.with_units()
        dataset = super().export(queryset=queryset.order_by("plan", "position"), **kwargs)
        # The plan's title above the header lets the file import back as the
        # same year without asking.
        plans = Plan.objects.filter(pk__in=queryset.values("plan")).distinct()
        dataset.title = plans[0].title if len(plans) == 1 else ""
        return dataset

    def import_data(self, dataset, dry_run=False, raise_errors=False, **kwargs):
        """The whole workbook at once, through the one importer."""
        grid = [tuple(row) for row in dataset]
        annex = parse_grid(grid, year=kwargs.get("year"))
        report = annex_import(
            annex=annex, dry_run=dry_run, user=kwargs.get("user"), draft=bool(kwargs.get("draft"))
        )
        return annex_result(report, grid)


def annex_result(report, grid) -> Result:
    """An import-export Result for the admin's preview and confirm pages,
    with the importer's report attached as `result.annex_report`."""
    result = Result()
    result.annex_report = report
    result.diff_headers = [*COLUMNS.values(), _("建议目标")]
    result.total_rows = len(report.changes)
    for problem in report.errors:
        if problem.row is None:
            result.append_base_error(Error(AnnexFileError(str(problem))))
            continue
        values = grid[problem.row - 1] if problem.row - 1 < len(grid) else ()
        field_name = problem.column or "__all__"
        result.append_invalid_row(
            number=problem.row,
            row={},
            validation_error=ValidationError({field_name: [problem.message]}),
        )
        result.invalid_rows[-1].values = tuple("" if v is None else v for v in values)
    if report.errors:
        return result

    snapshot = {item["code"]: item for item in report.snapshot["indicators"]}
    stored = (
        {}
        if report.dry_run
        else {i.code: i for i in Indicator.objects.filter(plan__year=report.year, code__in=snapshot)}
    )
    for change in report.changes:
        item = snapshot[change.code]
        row_result = RowResult()
        row_result.import_type = {
            "new": RowResult.IMPORT_TYPE_NEW,
            "update": RowResult.IMPORT_TYPE_UPDATE,
        }.get(change.kind, RowResult.IMPORT_TYPE_SKIP)
        row_result.diff = [
            item["code"],
            item["category"],
            item["task"],
            _join(item["lead"]),
            _join(item["responsible"]),
            item["deadline_label"] + (f"（{item['due_date']}）" if not item["ongoing"] else ""),
            str(len(report.targets.get(change.code, []))),
        ]
        if change.fields:
            row_result.diff[0] = format_html(
                "{}<br><small>改动：{}</small>", item["code"], "、".join(change.fields)
            )
        row_result.object_repr = f"{item['code']}. {item['task'][:40]}"
        instance = stored.get(change.code)
        if instance is not None:
            row_result.instance = instance
            row_result.object_id = instance.pk
        result.append_row_result(row_result)
        result.increment_row_result_total(row_result)
    return result
