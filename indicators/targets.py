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

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

AT_LEAST, AT_MOST, RANGE = ">=", "<=", "range"

# A real task text has a handful of numbers; past these the text is not one.
MAX_NUMBERS = 400
MAX_PROPOSALS = 100
# How far a name or a direction word is looked for before a number, and a
# counted noun or a trailing verb after it.
LOOK_BACK = 60
LOOK_AHEAD = 30
# A value with more digits than this is not a goal (and would not fit the column).
MAX_INTEGER_DIGITS = 9

# Full-width digits and signs of numbers (Chinese input methods type them)
# read as ASCII; one character for one, so positions in the text stay exact
# and the quote is a true substring of what the annex says. Chinese
# punctuation (，（） …) stays as it is.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF10, 0xFF1A)} | {
    0xFF05: ord("%"),  # ％
    0xFE6A: ord("%"),  # ﹪
    0xFF0E: ord("."),  # ．
    0xFF0D: ord("-"),  # －
    0xFF5E: ord("~"),  # ～
}

NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
# Chinese numerals are read in two shapes only, where nothing else is meant:
# a fraction ("三分之二") and a small count right after a strict direction
# word ("不少于一次"); elsewhere they are names ("一件事", "八统一", "跑零次").
CHINESE_DIGITS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}
CHINESE_FRACTION = re.compile(r"([二三四五六七八九十])分之([一二三四五六七八九])")
CHINESE_COUNT = re.compile(
    r"(?:不少于|不低于|至少|不超过|最多|达到)([一两二三四五六七八九十])(?=次|个|件|份|天)"
)

# Units as written after a number, longest first. Durations are goals on
# their own ("5个工作日办结" means at most 5); counts only with a direction
# word, because a bare count is the scope of the work ("77种电子证照").
DURATION_UNITS = [
    "个工作日",
    "个工作小时",
    "个自然日",
    "个月",
    "个小时",
    "工作日",
    "小时",
    "分钟",
    "天",
    "周",
]
COUNT_UNITS = [
    "人次",
    "万元",
    "亿元",
    "次",
    "份",
    "件",
    "套",
    "个",
    "项",
    "种",
    "家",
    "张",
    "台",
    "人",
    "户",
    "类",
    "批",
    "所",
    "座",
    "条",
    "元",
]
UNITS = sorted(["%", *DURATION_UNITS, *COUNT_UNITS], key=len, reverse=True)
UNIT = re.compile(r"[ \u3000]{0,2}(" + "|".join(map(re.escape, UNITS)) + ")")
RANGE_TAIL = re.compile(
    r"[ \u3000]{0,2}[-~—–至到][ \u3000]{0,2}([0-9]+(?:\.[0-9]+)?)[ \u3000]{0,2}("
    + "|".join(map(re.escape, UNITS))
    + ")?"
)

# Direction words, right before the number (only blanks, quotes, "每年" or
# "平均" between). Reduce-by verbs without 至/到 ("再精简10%", "压减2个工作日")
# state how much less, so the goal is at least that much, and the name says so.
AT_MOST_WORDS = [
    "压减至",
    "压减到",
    "压缩至",
    "压缩到",
    "压缩在",
    "缩短至",
    "缩短到",
    "减少至",
    "减少到",
    "降低至",
    "降低到",
    "降至",
    "控制在",
    "不超过",
    "不高于",
    "少于",
    "最多",
    "至多",
]
AT_LEAST_WORDS = [
    "力争达到",
    "达到",
    "提高到",
    "提高至",
    "提升至",
    "提升到",
    "不低于",
    "不少于",
    "至少",
    "超过",
    "高于",
    "实现",
    "达",
]
REDUCE_BY_WORDS = ["压减", "精简", "压缩", "缩短", "减少", "降低"]
_WORDS = sorted(AT_MOST_WORDS + AT_LEAST_WORDS + REDUCE_BY_WORDS, key=len, reverse=True)
DIRECTION_BEFORE = re.compile("(" + "|".join(_WORDS) + r")(?:[ \u3000“\"]|每年|每月|每季度|每件|平均){0,4}\Z")
# Right after the value and unit: these bind tighter than any word before.
DIRECTION_AFTER = re.compile(r"[ \u3000]{0,2}(及以上|及以下|以上|以内|之内|以下|内)")
# A duration with no direction word is a goal only when what follows says
# so ("5个工作日办结"); "“24小时自助大厅”" or "60分钟领证" name a service.
DURATION_VERBS = re.compile(r"(?:[（(][^）)]{0,20}[）)])?(办结|办理|完成|办完|出证|办毕)")

# Where a clause ends: a name never reaches across these.
CLAUSE_END = set("，。；;,!！?？:：\n\r\t") | {chr(c) for c in range(32)}
# Words that lead into the metric without being part of it, cut from the
# front of a name ("到年底前实现事项颗粒化率" → "事项颗粒化率").
LEAD_INS = ["年底前", "月底前", "年内", "实现", "确保", "做到", "其中"]
# Words between the metric and the number that are not part of the metric.
TRAILING_WORDS = ["力争", "分别", "合计", "至少", "再", "均", "都", "在", "为", "可"]
# The first of these in the last item of "一般登记、抵押权登记业务办理时限分别…"
# starts what the items share ("业务办理时限").
SHARED_METRIC = re.compile(r"业务|办理|审批|时间|时限|用时|材料|环节|比例|占比|次数|[率量]")
NAME_PUNCTUATION = re.compile(r"[\s“”\"'‘’、（）()《》]")


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
            "value": _json_number(self.value),
            "value_min": _json_number(self.value_min),
            "value_max": _json_number(self.value_max),
            "unit": self.unit,
            "quote": self.quote,
            "implied": self.implied,
        }


def goal_text(direction, value, value_min, value_max, unit) -> str:
    """ "≥ 90 %", "≤ 4 个工作日", "5–10 %"."""
    unit = f" {unit}" if unit else ""
    if direction == RANGE:
        return f"{_plain(value_min)}–{_plain(value_max)}{unit}"
    return f"{'≥' if direction == AT_LEAST else '≤'} {_plain(value)}{unit}"


def target_key(*, name, unit, direction, value=None, value_min=None, value_max=None) -> str:
    """The reading a target was proposed as, in a form that survives changes
    of punctuation, spaces and width: "实时在线率|%|>=|90"."""
    name = NAME_PUNCTUATION.sub("", unicodedata.normalize("NFKC", name))[:150]
    values = "-".join(_plain(v) for v in (value, value_min, value_max) if v is not None)
    return f"{name}|{unit}|{direction}|{values}"[:255]


def targets_propose(text: str) -> list[Proposal]:
    """The targets an office would read in one task text, in text order."""
    text = text or ""
    plain = text.translate(_FULL_WIDTH)
    proposals: list[Proposal] = []
    previous: Proposal | None = None
    for token in _tokens(plain):
        if previous is not None and previous.at < token.start < previous.end:
            continue  # read already: the "10%" of "5%-10%", the "（8个工作小时）" of a target
        proposal = _read(text, plain, token, previous)
        if proposal is None:
            continue
        proposals.append(proposal)
        previous = proposal
        if len(proposals) >= MAX_PROPOSALS:
            break
    proposals = _share_out(plain, proposals)
    proposals += _implied(text, plain, proposals)
    proposals.sort(key=lambda p: (p.start, p.at))
    return _unique(proposals)


# ---------------------------------------------------------------- numbers


@dataclass
class _Token:
    start: int
    end: int
    value: Decimal
    chinese: bool = False
    fraction: bool = False


def _tokens(plain: str) -> list[_Token]:
    tokens = []
    for match in NUMBER.finditer(plain):
        if len(tokens) >= MAX_NUMBERS:
            break
        digits = match.group().split(".")[0]
        if len(digits.lstrip("0")) > MAX_INTEGER_DIGITS:
            continue
        tokens.append(_Token(match.start(), match.end(), Decimal(match.group())))
    for match in CHINESE_FRACTION.finditer(plain, 0, min(len(plain), 100_000)):
        whole, part = CHINESE_DIGITS[match.group(1)], CHINESE_DIGITS[match.group(2)]
        if part < whole:
            value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"))
            tokens.append(_Token(match.start(), match.end(), value, chinese=True, fraction=True))
    for match in CHINESE_COUNT.finditer(plain):
        tokens.append(
            _Token(match.start(1), match.end(1), Decimal(CHINESE_DIGITS[match.group(1)]), chinese=True)
        )
    tokens.sort(key=lambda t: t.start)
    return tokens[:MAX_NUMBERS]


def _read(text: str, plain: str, token: _Token, previous: "Proposal | None") -> Proposal | None:
    """One number in its context: a Proposal, or None when it is no goal."""
    start, end = token.start, token.end
    before = plain[max(0, start - LOOK_BACK) : start]
    window_start = start - len(before)
    if _is_name_or_date(plain, start, end, before):
        return None
    if _inside(before, "（(", "）)"):
        # "（8个工作小时）": a restatement or an example, not another goal.
        return None

    # Value, unit, range.
    value, value_min, value_max = token.value, None, None
    direction = None
    if token.fraction:
        unit, cursor = "%", end
    else:
        unit_match = UNIT.match(plain, end)
        unit, cursor = (unit_match.group(1), unit_match.end()) if unit_match else ("", end)
        range_match = RANGE_TAIL.match(plain, cursor)
        if range_match and (range_match.group(2) or unit):
            other = Decimal(range_match.group(1))
            unit = unit or range_match.group(2)
            if (range_match.group(2) or unit) == unit and other > value:
                value_min, value_max, value, direction = value, other, None, RANGE
                cursor = range_match.end()
    if not unit:
        return None  # "12345平台", "1、", "10千伏": a number without a unit measures nothing

    # Inside quotes, a number is part of a name ("“60分钟领证”") unless the
    # quote holds nothing but a goal ("“最多90天”").
    quoted = _inside(before, "“", "”")
    if quoted and not _quote_is_a_goal(plain, start, cursor):
        return None

    after = DIRECTION_AFTER.match(plain, cursor)
    if after:
        cursor = after.end()
        if direction is None:
            direction = AT_LEAST if after.group(1) in ("以上", "及以上") else AT_MOST

    continuing = previous is not None and _continues(plain, previous, start)
    word = DIRECTION_BEFORE.search(before)
    reduce_by = word is not None and word.group(1) in REDUCE_BY_WORDS
    if direction is None and word is not None:
        direction = AT_MOST if word.group(1) in AT_MOST_WORDS else AT_LEAST
    if direction is None and continuing:
        direction = previous.direction
    if token.chinese and not token.fraction and word is None:
        return None

    kind = "percent" if unit == "%" else "duration" if unit in DURATION_UNITS else "count"
    verb = None
    if kind == "duration":
        verb_match = DURATION_VERBS.match(plain, cursor)
        if verb_match:
            verb, cursor = verb_match.group(1), verb_match.end()
    if direction is None:
        if kind == "percent":
            direction = AT_LEAST  # "实时在线率90%": a rate to reach
        elif kind == "duration" and (verb or _at_clause_end(plain, cursor)):
            direction = AT_MOST  # "5个工作日办结": a time not to exceed
        else:
            return None  # a count with no direction word is scope: "25个大项公证事项"

    # The name: the words before the number, back to the clause (or to the
    # previous target), without the direction word; for a count, the noun
    # counted ("5个环节" → …环节); for "90%个人办事事项…", the words after.
    if continuing:
        head_start, head = previous.start, _stem_of(previous)
    else:
        head_start = _clause_start(plain, window_start, start, previous)
        head = plain[head_start:start]
        if word is not None:
            head = head[: max(0, window_start + word.start() - head_start)]
        head_start += len(head) - len(head.lstrip("、 \u3000"))
    name = _trim(head)
    counted = ""
    if kind == "count":
        noun = re.match(
            r"[\u4e00-\u9fff]{1,8}?(?=[、，。；,;]|以内|以下|以上|\Z)", plain[cursor : cursor + 10]
        )
        if noun and not after:
            counted, cursor = noun.group(), cursor + noun.end()
    tail = ""
    if kind == "percent" and not re.search(r"(率|比|占比|比例|量)$", name):
        tail = _tail(plain, cursor)
        cursor += len(tail)
    quote_end = cursor + (1 if quoted and plain[cursor : cursor + 1] == "”" else 0)

    name = _name(
        name, counted=counted, tail=tail, kind=kind, unit=unit, verb=verb, reduce_by=reduce_by, word=word
    )
    quote_start = head_start if name else start
    stem = _trim(head)
    return _Proposal(
        name=name or text[quote_start:quote_end].strip()[:40],
        direction=direction,
        value=value,
        value_min=value_min,
        value_max=value_max,
        unit=unit,
        quote=text[quote_start:quote_end],
        start=quote_start,
        end=quote_end,
        at=start,
        stem=stem,
        shares="分别" in head[-12:],
    )


@dataclass(frozen=True)
class _Proposal(Proposal):
    stem: str = field(default="", compare=False)
    shares: bool = field(default=False, compare=False)  # "…分别压减至4个、2个工作日"


def _stem_of(proposal: Proposal) -> str:
    return getattr(proposal, "stem", proposal.name)


def _is_name_or_date(plain: str, start: int, end: int, before: str) -> bool:
    prev_char = plain[start - 1 : start]
    next_char = plain[end : end + 1]
    if prev_char and (prev_char.isascii() and (prev_char.isalnum() or prev_char in "+-/_#.")):
        return True  # "1+9+X", "G20", "17-1"
    if next_char and next_char.isascii() and (next_char.isalpha() or next_char in "+/:_"):
        return True  # "5G", "1+9", "9:00"
    if prev_char == "第" or before.endswith("第 "):
        return True  # "第3批": an ordinal
    if plain[end : end + 1] in ("年", "月", "日", "号", "时", "点", "："):
        return True  # "2019年", "7月底", "3日", "8点": dates and times
    digits = plain[start:end]
    return len(digits) == 4 and digits.isdigit() and 1900 <= int(digits) <= 2100  # a year in any guise


def _inside(before: str, opening: str, closing: str) -> bool:
    """Whether the position after `before` is within an open bracket or quote."""
    last_open = max(before.rfind(c) for c in opening)
    last_close = max(before.rfind(c) for c in closing)
    return last_open > last_close


def _quote_is_a_goal(plain: str, start: int, cursor: int) -> bool:
    opening = plain.rfind("“", max(0, start - 12), start)
    closing = plain.find("”", cursor, cursor + 6)
    if opening < 0 or closing < 0:
        return False
    lead = plain[opening + 1 : start].strip()
    rest = plain[cursor:closing].strip()
    return (not lead or lead in _WORDS) and rest in ("", "以内", "以上", "内")


def _continues(plain: str, previous: Proposal, start: int) -> bool:
    """ "压减至5个环节、1套办件材料、3个工作日": the same verb governs the next."""
    return previous.end <= start and plain[previous.end : start].strip(" \u3000") in ("、", "和", "及")


def _clause_start(plain: str, window_start: int, start: int, previous: Proposal | None) -> int:
    position = start
    while position > window_start and plain[position - 1] not in CLAUSE_END:
        position -= 1
    if previous is not None and previous.end > position and previous.end <= start:
        position = previous.end  # "数据按需归集率100%、共享使用率100%"
    if plain[position:start].endswith("、"):
        position = start  # "全部开通网上办理、60%以上民生事项…": the number opens a new item
    return position


def _at_clause_end(plain: str, cursor: int) -> bool:
    return cursor >= len(plain) or plain[cursor] in CLAUSE_END or plain[cursor] in "、”）)"


def _tail(plain: str, cursor: int) -> str:
    """ "60%以上政务服务事项实现“掌上办理”": the words the percentage counts."""
    tail = []
    for char in plain[cursor : cursor + LOOK_AHEAD]:
        if char in CLAUSE_END:
            break
        tail.append(char)
    return "".join(tail)


def _trim(head: str) -> str:
    name = head.strip(" \u3000、")
    for lead_in in LEAD_INS:
        cut = name.rfind(lead_in)
        if cut >= 0:
            name = name[cut + len(lead_in) :]
    changed = True
    while changed and name:
        changed = False
        for word in [*TRAILING_WORDS, *_WORDS]:
            if name.endswith(word) and len(name) > len(word):
                name, changed = name[: -len(word)], True
        stripped = name.rstrip(' \u3000“"、')
        changed, name = changed or stripped != name, stripped
    return name.lstrip("对由并且的 \u3000")


def _name(head, *, counted, tail, kind, unit, verb, reduce_by, word) -> str:
    if tail:
        tail = re.sub(r"^(的|实现|均可|均|都)", "", tail)
        return head + re.sub(r"(均可|均)", "", tail) + "比例"
    name = head + counted
    if reduce_by:
        return name + word.group(1)  # "办事材料精简": how much less, not how much
    if kind == "duration" and not re.search(r"(时间|时限|用时|时长)$", name):
        return name + (verb or "") + "时间"
    if unit == "次" and name and not name.endswith("次数"):
        return name + "次数"
    return name


def _share_out(plain: str, proposals: list[Proposal]) -> list[Proposal]:
    """ "一般登记、抵押权登记业务办理时限分别压减至4个、2个工作日内": one
    target per item, with the unit written once at the end."""
    result, index = [], 0
    while index < len(proposals):
        first = proposals[index]
        group = [first]
        while index + len(group) < len(proposals) and _continues(
            plain, group[-1], proposals[index + len(group)].at
        ):
            group.append(proposals[index + len(group)])
        index += len(group)
        if not getattr(first, "shares", False) or len(group) < 2:
            result.extend(group)
            continue
        unit = group[-1].unit
        items = first.stem.split("、")
        names = [first.name] * len(group)
        shared = SHARED_METRIC.search(items[-1]) if len(items) == len(group) else None
        if shared and shared.start() > 0:
            metric = items[-1][shared.start() :]
            names = [item if item.endswith(metric) else item + metric for item in items]
        quote = plain[first.start : group[-1].end]
        for member, name in zip(group, names, strict=True):
            member_unit = unit if unit.startswith(member.unit) else member.unit
            result.append(
                _Proposal(
                    name=name,
                    direction=member.direction,
                    value=member.value,
                    value_min=member.value_min,
                    value_max=member.value_max,
                    unit=member_unit,
                    quote=quote,
                    start=first.start,
                    end=group[-1].end,
                    at=member.at,
                )
            )
    return result


# ---------------------------------------------------------------- words only

# "全覆盖", "所有…均可…", "全部开通…": clearly 100 %, with no digit written.
# Proposed marked `implied`, so the office sees they were read from words.
IMPLIED_ALL = re.compile(r"全部(?:开通|实现|纳入|接入)")


def _implied(text: str, plain: str, explicit: list[Proposal]) -> list[Proposal]:
    found = []
    taken = [(p.start, p.end) for p in explicit]

    def clause_around(position: int, *, stop_at_list: bool) -> tuple[int, int]:
        stops = CLAUSE_END | ({"、"} if stop_at_list else set())
        begin = position
        while begin > max(0, position - LOOK_BACK) and plain[begin - 1] not in stops:
            begin -= 1
        finish = position
        while finish < min(len(plain), position + LOOK_BACK) and plain[finish] not in stops:
            finish += 1
        return begin, finish

    def add(begin: int, finish: int, name: str) -> None:
        segment = plain[begin:finish]
        if any(c.isdigit() for c in segment) or any(b < finish and begin < e for b, e in taken):
            return  # a number is written there: the explicit target says it
        taken.append((begin, finish))
        found.append(
            _Proposal(
                name=name,
                direction=AT_LEAST,
                value=Decimal(100),
                value_min=None,
                value_max=None,
                unit="%",
                quote=text[begin:finish],
                implied=True,
                start=begin,
                end=finish,
                at=begin,
            )
        )

    for match in _find_all(plain, "全覆盖"):
        begin, _ = clause_around(match, stop_at_list=False)
        head = _trim(plain[begin:match])
        if head:
            add(begin, match + 3, head + "覆盖率")
    for match in _find_all(plain, "所有"):
        if match > 0 and plain[match - 1] not in CLAUSE_END | {"、"}:
            continue  # "所有" opening the clause: "所有公安办事窗口均可“无证办事”"
        _, finish = clause_around(match, stop_at_list=True)
        body = plain[match + 2 : finish]
        if re.search(r"均可|均能|都可|开通|实现|纳入", body):
            add(match, finish, re.sub(r"均可|均能|都可|均|都", "", body) + "比例")
    for match in IMPLIED_ALL.finditer(plain, 0, min(len(plain), 100_000)):
        begin, finish = clause_around(match.start(), stop_at_list=True)
        head = plain[begin : match.start()].strip()
        if head and not head.startswith("所有"):
            add(begin, finish, head + plain[match.start() + 2 : finish] + "比例")
    return found


def _find_all(plain: str, word: str, limit: int = MAX_NUMBERS):
    position, count = plain.find(word), 0
    while position >= 0 and count < limit:
        yield position
        position, count = plain.find(word, position + 1), count + 1


# ---------------------------------------------------------------- small helpers


def _unique(proposals: list[Proposal]) -> list[Proposal]:
    seen, result = set(), []
    for proposal in proposals:
        if proposal.key not in seen:
            seen.add(proposal.key)
            result.append(proposal)
    return result


def _plain(value) -> str:
    if value is None:
        return ""
    try:
        text = format(Decimal(value).normalize(), "f")
    except InvalidOperation:
        return str(value)
    return text


def _json_number(value: Decimal | None):
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)
