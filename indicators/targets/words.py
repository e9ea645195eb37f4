"""Targets read from words without digits: "全覆盖", "所有…均可…",
"全部开通…" — clearly 100 %. Proposed marked `implied`, so the office sees
they were read from words."""

import re
from decimal import Decimal

from .numbers import inside, trim_name
from .proposal import AT_LEAST, Proposal, Reading
from .vocabulary import CLAUSE_END, IMPLIED_ALL, LOOK_BACK, MAX_NUMBERS


def read_implied(text: str, plain: str, explicit: list[Proposal]) -> list[Proposal]:
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
            Reading(
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
        if inside(plain[begin:match], "“", "”"):
            continue  # "“全覆盖、全监管”的…模式": a slogan, not a coverage
        head = trim_name(plain[begin:match])
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
        head = trim_name(plain[begin : match.start()])
        if head and not head.startswith("所有"):
            add(begin, finish, head + plain[match.start() + 2 : finish] + "比例")
    return found


def _find_all(plain: str, word: str, limit: int = MAX_NUMBERS):
    position, count = plain.find(word), 0
    while position >= 0 and count < limit:
        yield position
        position, count = plain.find(word, position + 1), count + 1
