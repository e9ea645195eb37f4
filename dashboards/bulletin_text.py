"""The 通报's words: each part (标题, 一、总体情况 … 落款) is a template in
Django's template language over the figures of the day
(dashboards.bulletin.bulletin_figures), kept in the database when the office
has edited it (BulletinTemplate, on the 通报模板 page) and otherwise read
from dashboards/bulletin_defaults/<part>.txt.

The templates are the office's, so they run in a sandbox: an engine of its
own with no loaders (no {% include %}, {% extends %}), no {% load %},
{% debug %}, {% url %} or {% csrf_token %}, and only the figures — plain
numbers, strings, lists and dicts — as context, never a model. Every
variable a template names must be a figure (or one it defines with
{% for %} / {% with %}); anything else, and every syntax error, comes back
as a Chinese message with its line, never as an exception.

Each non-empty line of the output is one paragraph of the document; lines
that hold only a tag ({% if %} on its own line) vanish."""

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.db import transaction
from django.template import Context, Engine, Library, TemplateSyntaxError, defaultfilters, defaulttags
from django.template.base import FilterExpression, Node, Variable

from .models import BulletinTemplate

Section = BulletinTemplate.Section
DEFAULTS_DIR = Path(__file__).resolve().parent / "bulletin_defaults"

# Tags the office's templates may not use: they read files, other template
# libraries, the URL configuration, the request or the whole context.
FORBIDDEN_TAGS = {"load", "debug", "url", "csrf_token", "querystring", "include", "extends", "block", "lorem"}
# Filters that pad to a width the template names: "x"|ljust:"999999999" would
# fill the memory.
FORBIDDEN_FILTERS = {"ljust", "rjust", "center"}


@dataclass
class TemplateProblem(Exception):
    """A template the office wrote that cannot be used, in Chinese."""

    section: str
    message: str

    def __str__(self) -> str:
        return f"{Section(self.section).label}：{self.message}"


@cache
def _engine() -> Engine:
    engine = Engine(loaders=[], autoescape=False, debug=True, libraries={})
    library = Library()
    library.tags = {
        name: tag for name, tag in defaulttags.register.tags.items() if name not in FORBIDDEN_TAGS
    }
    library.filters = {
        name: function
        for name, function in defaultfilters.register.filters.items()
        if name not in FORBIDDEN_FILTERS
    }
    engine.template_builtins = [library]
    return engine


def default_text(section: str) -> str:
    return (DEFAULTS_DIR / f"{section}.txt").read_text(encoding="utf-8")


def section_texts() -> dict[str, str]:
    """Each part's template: the office's where it wrote one, else the default."""
    saved = dict(BulletinTemplate.objects.values_list("section", "text"))
    return {
        section: saved[section] if section in saved else default_text(section) for section in Section.values
    }


_SYNTAX = [
    (r"Unclosed tag on line \d+: '(\w+)'", "标签 {%% %s %%} 没有结束标签（如 {%% end%s %%}）。"),
    (r"Invalid block tag on line \d+: '(\w+)'", "无法识别或不允许的标签：{%% %s %%}。"),
    (r"Invalid filter: '(\w+)'", "无法识别的过滤器：%s。"),
    (r"Could not parse the remainder: '(.*?)'", "无法解析：%s。"),
    (r"Could not parse some characters: (.*)", "无法解析：%s。"),
    (r"Unused '(.*?)' at end of if expression", "条件表达式末尾多了：%s。"),
    (r"'(\w+)' (?:tag )?received an invalid argument|'(\w+)' statements should use", "标签 %s 的写法不对。"),
    (r"Empty variable tag", "变量标记 {{ }} 里是空的。"),
    (r"Need (\d+) values to unpack", "{%% for %%} 的循环变量个数不对（这里每项不是 %s 个值）。"),
]


def _chinese(error: Exception) -> str:
    text = str(error)
    for pattern, message in _SYNTAX:
        match = re.search(pattern, text)
        if match:
            groups = [g for g in match.groups() if g is not None]
            return message % (groups[0], groups[0]) if message.count("%s") == 2 else message % tuple(groups)
    return "模板写法有误。"


def _line(error: Exception) -> int | None:
    debug = getattr(error, "template_debug", None)
    return debug["line"] if debug else None


def _filter_expressions(value, depth=0):
    """The FilterExpressions inside a node's attribute (an {% if %}
    condition is a tree of operators over TemplateLiterals)."""
    if depth > 50:
        return
    if isinstance(value, FilterExpression):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _filter_expressions(item, depth + 1)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _filter_expressions(item, depth + 1)
    elif hasattr(value, "first") or hasattr(value, "value"):  # an {% if %} operator or literal
        for name in ("first", "second", "value"):
            yield from _filter_expressions(getattr(value, name, None), depth + 1)


def _names(template) -> tuple[set[str], set[str]]:
    """(the variables the template reads, the ones it defines) — root names only."""
    used, defined = set(), {"forloop", "True", "False", "None"}
    for node in template.nodelist.get_nodes_by_type(Node):
        attributes = vars(node)
        defined.update(attributes.get("loopvars") or [])
        defined.update((attributes.get("extra_context") or {}).keys())
        for name in ("var_name", "variable_name", "asvar"):
            if isinstance(attributes.get(name), str):
                defined.add(attributes[name])
        for key, value in attributes.items():
            if key in ("nodelist", "token", "origin") or key.startswith("nodelist"):
                continue
            for expression in _filter_expressions(value):
                variables = [expression.var] + [arg for lookup, arg in _args(expression) if lookup]
                used.update(v.lookups[0] for v in variables if isinstance(v, Variable) and v.lookups)
    return used, defined


def _args(expression: FilterExpression):
    for _func, args in expression.filters:
        yield from args


def render_section(section: str, text: str, figures: dict) -> list[str]:
    """The part's paragraphs: the template rendered over the figures, one
    paragraph per non-empty line. Raises TemplateProblem."""
    try:
        template = _engine().from_string(text)
    except TemplateSyntaxError as e:
        line = _line(e)
        where = f"第 {line} 行：" if line else ""
        raise TemplateProblem(section, where + _chinese(e)) from None
    used, defined = _names(template)
    unknown = sorted(used - defined - figures.keys())
    if unknown:
        raise TemplateProblem(
            section, "没有这个变量：" + "、".join(unknown) + "。可用的变量见页面下方的变量表。"
        )
    try:
        output = template.render(Context(figures, autoescape=False))
    except Exception as e:  # a filter or tag given values it cannot take
        raise TemplateProblem(section, "生成时出错：" + _chinese(e)) from None
    return [line.strip() for line in output.splitlines() if line.strip()]


def bulletin_paragraphs(figures: dict, texts: dict[str, str] | None = None) -> dict[str, list[str]]:
    """Every part's paragraphs, from the saved templates (or `texts`, e.g.
    a preview of unsaved ones). Raises TemplateProblem for the first part
    that cannot be rendered."""
    texts = texts or section_texts()
    return {section: render_section(section, texts[section], figures) for section in Section.values}


def check_template(section: str, text: str, figures: dict) -> str | None:
    """The Chinese message saying what is wrong with `text`, or None."""
    try:
        render_section(section, text, figures)
    except TemplateProblem as problem:
        return problem.message
    return None


@transaction.atomic
def bulletin_templates_save(*, texts: dict[str, str], user) -> int:
    """Save the office's templates (each already checked): a part equal to
    its default keeps no row. Returns how many parts changed."""
    saved = {row.section: row for row in BulletinTemplate.objects.select_for_update()}
    changed = 0
    for section in Section.values:
        text = texts.get(section, "").replace("\r\n", "\n")
        row = saved.get(section)
        if text.strip() == default_text(section).strip():
            if row is not None:
                row.delete()
                changed += 1
        elif row is None:
            BulletinTemplate.objects.create(section=section, text=text, updated_by=user)
            changed += 1
        elif row.text != text:
            row.text, row.updated_by = text, user
            row.save()
            changed += 1
    return changed


@transaction.atomic
def bulletin_templates_reset(*, user) -> None:
    """恢复默认: every part back to the default shipped in the repository
    (the rows' history keeps what the office had written)."""
    for row in BulletinTemplate.objects.select_for_update():
        row._history_user = user
        row.delete()
