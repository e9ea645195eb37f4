"""A target as read from a text, its key and how its goal is written."""

import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from .vocabulary import NAME_PUNCTUATION

AT_LEAST, AT_MOST, RANGE = ">=", "<=", "range"


@dataclass(frozen=True)
class Proposal:
    """One target read from the text. `start`/`end` locate `quote` in it."""

    name: str
    direction: str  # ">=", "<=" or "range"
    value: Decimal | None
    value_min: Decimal | None
    value_max: Decimal | None
    unit: str
    quote: str
    implied: bool = False
    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)
    at: int = field(default=0, compare=False)  # where the number itself is

    @property
    def key(self) -> str:
        return target_key(
            name=self.name,
            unit=self.unit,
            direction=self.direction,
            value=self.value,
            value_min=self.value_min,
            value_max=self.value_max,
        )

    @property
    def goal_display(self) -> str:
        return goal_text(self.direction, self.value, self.value_min, self.value_max, self.unit)

    def as_dict(self) -> dict:
        """The shape of `import_annex --format json` (docs/annex-import.md)."""
        return {
            "name": self.name,
            "direction": self.direction,
            "value": json_number(self.value),
            "value_min": json_number(self.value_min),
            "value_max": json_number(self.value_max),
            "unit": self.unit,
            "quote": self.quote,
            "implied": self.implied,
        }


def goal_text(direction, value, value_min, value_max, unit) -> str:
    """ "≥ 90 %", "≤ 4 个工作日", "5–10 %"."""
    unit = f" {unit}" if unit else ""
    if direction == RANGE:
        return f"{plain_number(value_min)}–{plain_number(value_max)}{unit}"
    return f"{'≥' if direction == AT_LEAST else '≤'} {plain_number(value)}{unit}"


def target_key(*, name, unit, direction, value=None, value_min=None, value_max=None) -> str:
    """The reading a target was proposed as, in a form that survives changes
    of punctuation, spaces and width: "实时在线率|%|>=|90"."""
    name = NAME_PUNCTUATION.sub("", unicodedata.normalize("NFKC", name))[:150]
    values = "-".join(plain_number(v) for v in (value, value_min, value_max) if v is not None)
    return f"{name}|{unit}|{direction}|{values}"[:255]


@dataclass(frozen=True)
class Reading(Proposal):
    """A Proposal with what the reader needs while it reads on: the words the
    next item of a list takes its name from, and whether 分别 shares a list out."""

    stem: str = field(default="", compare=False)
    shares: bool = field(default=False, compare=False)  # "…分别压减至4个、2个工作日"


def stem_of(proposal: Proposal) -> str:
    return getattr(proposal, "stem", proposal.name)


def unique(proposals: list[Proposal]) -> list[Proposal]:
    seen, result = set(), []
    for proposal in proposals:
        if proposal.key not in seen:
            seen.add(proposal.key)
            result.append(proposal)
    return result


def plain_number(value) -> str:
    if value is None:
        return ""
    try:
        text = format(Decimal(value).normalize(), "f")
    except InvalidOperation:
        return str(value)
    return text


def json_number(value: Decimal | None):
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)
