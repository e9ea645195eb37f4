"""Reading the numbers of a task text: each one's value, unit, direction
and name from the words around it (docs/targets.md, "What is proposed")."""

import re
from dataclasses import dataclass
from decimal import Decimal

from .proposal import AT_LEAST, AT_MOST, RANGE, Proposal, Reading, stem_of
from .vocabulary import (
    APPROXIMATELY,
    AT_MOST_WORDS,
    CHINESE_COUNT,
    CHINESE_DIGITS,
    CHINESE_FRACTION,
    CLAUSE_END,
    DIRECTION_AFTER,
    DIRECTION_BEFORE,
    DIRECTION_WORDS,
    DURATION_UNITS,
    DURATION_VERBS,
    LEAD_INS,
    LOOK_AHEAD,
    LOOK_BACK,
    MAX_INTEGER_DIGITS,
    MAX_NUMBERS,
    MAX_PROPOSALS,
    NUMBER,
    RANGE_TAIL,
    REDUCE_BY_WORDS,
    SHARED_METRIC,
    TRAILING_WORDS,
    UNIT,
)


def read_numbers(text: str, plain: str) -> list[Proposal]:
    """Each number of the text that states a goal, in text order."""
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
    return _share_out(plain, proposals)


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
    if inside(before, "（(", "）)"):
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
    quoted = inside(before, "“", "”")
    if quoted and not _quote_is_a_goal(plain, start, cursor):
        return None

    about = APPROXIMATELY.match(plain, cursor)
    if about:
        cursor = about.end()
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
        head_start, head = previous.start, stem_of(previous)
    else:
        head_start = _clause_start(plain, window_start, start, previous)
        head = plain[head_start:start]
        if word is not None:
            head = head[: max(0, window_start + word.start() - head_start)]
        # The quote starts where the name does: "到年底前实现事项颗粒化率100%"
        # is quoted from 事项颗粒化率.
        stem = trim_name(head)
        offset = head.find(stem) if stem else -1
        head_start += offset if offset >= 0 else len(head) - len(head.lstrip("、 \u3000"))
    name = trim_name(head)
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
    stem = trim_name(head)
    return Reading(
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


def inside(before: str, opening: str, closing: str) -> bool:
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
    return (not lead or lead in DIRECTION_WORDS) and rest in ("", "以内", "以上", "内")


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


def trim_name(head: str) -> str:
    name = head.strip(" \u3000、")
    for lead_in in LEAD_INS:
        cut = name.rfind(lead_in)
        if cut >= 0:
            name = name[cut + len(lead_in) :]
    changed = True
    while changed and name:
        changed = False
        for word in [*TRAILING_WORDS, *DIRECTION_WORDS]:
            if name.endswith(word) and len(name) > len(word):
                name, changed = name[: -len(word)], True
        stripped = name.rstrip(' \u3000“"、')
        changed, name = changed or stripped != name, stripped
    # "2019年所有…", "将不动产…": a year or a 把/将 in front is not the metric.
    name = re.sub(r"^(?:[0-9]{4}年(?:底|内)?前?)", "", name)
    return name.lstrip("对由并且的将把 \u3000")


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
                Reading(
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
