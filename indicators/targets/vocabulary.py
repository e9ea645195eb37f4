"""The words the target reader knows (indicators/targets): units, direction
words, what ends a clause, and the regular expressions built from them.
Each list says why it is there; every pattern is linear."""

import re

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
FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF10, 0xFF1A)} | {
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
DIRECTION_WORDS = sorted(AT_MOST_WORDS + AT_LEAST_WORDS + REDUCE_BY_WORDS, key=len, reverse=True)
DIRECTION_BEFORE = re.compile(
    "(" + "|".join(DIRECTION_WORDS) + r")(?:[ \u3000“\"]|每年|每月|每季度|每件|平均){0,4}\Z"
)
# Right after the value and unit: these bind tighter than any word before.
DIRECTION_AFTER = re.compile(r"[ \u3000]{0,2}(及以上|及以下|以上|以内|之内|以下|内)")
# "30%左右": about that much; read with the direction the rest gives it.
APPROXIMATELY = re.compile(r"[ \u3000]{0,2}(?:左右|上下)")
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

# "全覆盖", "所有…均可…", "全部开通…": clearly 100 %, with no digit written.
# Proposed marked `implied`, so the office sees they were read from words.
IMPLIED_ALL = re.compile(r"全部(?:开通|实现|纳入|接入)")
