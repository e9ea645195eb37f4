"""Targets read from an indicator's task text (目标任务): what the importer
proposes for the office to confirm (docs/targets.md).

`targets_propose(text)` finds the numbers a reform office would measure —
"实时在线率90%" → 实时在线率 ≥ 90 %, "压减至4个工作日以内" → ≤ 4 个工作日,
"覆盖率达到5%-10%" → 5–10 % — and leaves alone the numbers that are not
goals: years, dates, item numbers, names with digits ("12345平台",
"1+9+X", "“60分钟领证”"), amounts of scope ("25个大项公证事项") and
restatements in brackets. It is a short list of rules, each with the reason
for it; no statistics, so a surprising proposal can be traced to a rule.

Every regular expression here is linear (no nested or adjacent unbounded
quantifiers), every look back or ahead is a bounded window, and a text
stops being read after MAX_NUMBERS numbers: a 32 767-character cell of
digits or of "1%" takes milliseconds (tests: test_targets_rules.py).
"""

from .numbers import read_numbers
from .proposal import AT_LEAST, AT_MOST, RANGE, Proposal, goal_text, target_key, unique
from .vocabulary import FULL_WIDTH
from .words import read_implied

__all__ = ["AT_LEAST", "AT_MOST", "RANGE", "Proposal", "goal_text", "target_key", "targets_propose"]


def targets_propose(text: str) -> list[Proposal]:
    """The targets an office would read in one task text, in text order."""
    text = text or ""
    plain = text.translate(FULL_WIDTH)
    proposals = read_numbers(text, plain)
    proposals += read_implied(text, plain, proposals)
    proposals.sort(key=lambda p: (p.start, p.at))
    return unique(proposals)
