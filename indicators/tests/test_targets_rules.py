"""One test per rule of indicators/targets (the reader), and hostile texts."""

import random
import time
from decimal import Decimal

import pytest

from indicators.models import EXCEL_CELL_MAX_CHARS
from indicators.targets import target_key, targets_propose


def read(text: str) -> list[tuple]:
    """(name, direction, value or (min, max), unit) of each proposal."""
    return [
        (
            p.name,
            p.direction,
            (p.value_min, p.value_max) if p.direction == "range" else p.value,
            p.unit,
        )
        for p in targets_propose(text)
    ]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("实时在线率90%。", [("实时在线率", ">=", Decimal(90), "%")]),
        ("网上申报率达80%以上。", [("网上申报率", ">=", Decimal(80), "%")]),
        ("占比不低于30%", [("占比", ">=", Decimal(30), "%")]),
        ("办理时间压减至4个工作日以内", [("办理时间", "<=", Decimal(4), "个工作日")]),
        ("纳税次数压减至每年7次以内", [("纳税次数", "<=", Decimal(7), "次")]),
        ("材料合计压缩在7件以内", [("材料", "<=", Decimal(7), "件")]),
        ("重复投诉率控制在10%", [("重复投诉率", "<=", Decimal(10), "%")]),
        ("审批“最多90天”", [("审批时间", "<=", Decimal(90), "天")]),
        ("备案2个工作日内办结", [("备案办结时间", "<=", Decimal(2), "个工作日")]),
    ],
)
def test_it_reads_the_direction_from_the_words_around_the_number(text, expected):
    assert read(text) == expected


def test_it_reads_a_reduction_by_an_amount_as_at_least_that_amount():
    assert read("办理时间至少压减2个工作日，办事材料再精简10%。") == [
        ("办理时间压减", ">=", Decimal(2), "个工作日"),
        ("办事材料精简", ">=", Decimal(10), "%"),
    ]


def test_it_reads_decimals_full_width_digits_and_percent_signs():
    assert read("实时在线率９５．５％") == [("实时在线率", ">=", Decimal("95.5"), "%")]
    [proposal] = targets_propose("实时在线率９５％")
    assert proposal.quote == "实时在线率９５％"


def test_it_reads_a_range():
    assert read("覆盖率达到5%-10%，") == [("覆盖率", "range", (Decimal(5), Decimal(10)), "%")]
    assert read("覆盖率达到5-10%") == [("覆盖率", "range", (Decimal(5), Decimal(10)), "%")]


def test_it_gives_each_item_of_a_respectively_list_its_own_target_and_the_shared_unit():
    assert read("一般登记、抵押权登记业务办理时限分别压减至4个、2个工作日内。") == [
        ("一般登记业务办理时限", "<=", Decimal(4), "个工作日"),
        ("抵押权登记业务办理时限", "<=", Decimal(2), "个工作日"),
    ]


def test_it_carries_one_verb_over_a_list_of_numbers():
    assert read("全流程压减至5个环节、1套办件材料、3个工作日。") == [
        ("全流程环节", "<=", Decimal(5), "个"),
        ("全流程办件材料", "<=", Decimal(1), "套"),
        ("全流程时间", "<=", Decimal(3), "个工作日"),
    ]


def test_it_names_a_percentage_that_comes_before_what_it_counts():
    assert read("90%的民生事项就近办理。") == [("民生事项就近办理比例", ">=", Decimal(90), "%")]


def test_it_trims_the_name_to_the_metric():
    assert read("到年底前实现事项颗粒化率100%，数据按需归集率100%、共享使用率100%") == [
        ("事项颗粒化率", ">=", Decimal(100), "%"),
        ("数据按需归集率", ">=", Decimal(100), "%"),
        ("共享使用率", ">=", Decimal(100), "%"),
    ]


def test_it_leaves_years_and_disposal_words_out_of_names():
    assert read(
        "2019年所有教育审批事项办理时间至少压减2个工作日，年底前将登记业务办理时限压减至4个工作日。"
    ) == [
        ("所有教育审批事项办理时间压减", ">=", Decimal(2), "个工作日"),
        ("登记业务办理时限", "<=", Decimal(4), "个工作日"),
    ]


def test_it_reads_about_as_the_number_itself():
    assert read("年底实现人工咨询服务30%左右转化为智能服务。") == [
        ("人工咨询服务转化为智能服务比例", ">=", Decimal(30), "%")
    ]


def test_it_takes_a_slogan_in_quotes_for_no_coverage():
    assert read("打造“全时空、全流程”便民服务模式和“全覆盖、全监管”的公安放管服体系。") == []


@pytest.mark.parametrize(
    "text",
    [
        "到2019年底完成。",  # a year
        "2020年底前全面推行。",
        "7月31日前报送。",  # a date
        "每天9:00前回复。",  # a time of day
        "12345平台受理。",  # a name with digits
        "工程建设项目“1+9+X”改革",
        "扩大“60分钟领证”受益面",  # a named service, in quotes or not
        "设置24小时自助大厅",
        "25个大项公证事项实现“最多跑一次”",  # the scope of the work
        "推进77种电子证照的共享应用",
        "1、梳理事项清单；2.公布",  # item numbers
        "第3批事项",
        "办理10千伏高压用电业务",  # a specification
        "推进“一件事”办理，实现“八统一”，高校毕业生跑零次",  # Chinese numerals in names
    ],
)
def test_it_never_proposes_years_dates_names_scope_or_item_numbers(text):
    assert read(text) == []


def test_it_does_not_propose_a_restatement_in_brackets_twice():
    assert read("四个环节合计1个工作日（8个工作小时）办结") == [
        ("四个环节办结时间", "<=", Decimal(1), "个工作日")
    ]


def test_it_reads_chinese_numerals_only_as_a_fraction_or_after_a_strict_direction_word():
    assert read("在编人员比例力争达到三分之二。每月坐班不少于一次。") == [
        ("在编人员比例", ">=", Decimal("66.67"), "%"),
        ("每月坐班次数", ">=", Decimal(1), "次"),
    ]


def test_it_proposes_words_that_mean_all_as_implied_100_percent():
    proposals = targets_propose(
        "自助机村（社区）全覆盖。所有公安办事窗口均可“无证办事”。非涉密事项全部开通网上办理、60%以上事项全程网办。"
    )

    assert [(p.name, p.value, p.implied) for p in proposals] == [
        ("自助机村（社区）覆盖率", Decimal(100), True),
        ("公安办事窗口“无证办事”比例", Decimal(100), True),
        ("非涉密事项开通网上办理比例", Decimal(100), True),
        ("事项全程网办比例", Decimal(60), False),
    ]


def test_it_does_not_take_words_like_above_in_names_for_a_direction():
    assert read("省级以上平台全面完成评估，良好以上单位达到100%，负面清单以外企业2个工作日内办结") == [
        ("良好以上单位", ">=", Decimal(100), "%"),
        ("负面清单以外企业办结时间", "<=", Decimal(2), "个工作日"),
    ]


def test_it_quotes_the_text_exactly():
    text = "申请材料压减至 1份以内，办理环节压减至2 个以内。"

    assert [p.quote for p in targets_propose(text)] == ["申请材料压减至 1份以内", "办理环节压减至2 个以内"]


def test_it_keys_a_target_by_its_reading_not_its_punctuation():
    assert target_key(name="“标准地” 占比", unit="%", direction=">=", value=Decimal("30.0")) == target_key(
        name="标准地占比", unit="%", direction=">=", value=Decimal(30)
    )
    assert [p.key for p in targets_propose("实时在线率90%")] == ["实时在线率|%|>=|90"]


# ---------------------------------------------------------------- hostile input


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\x00",
        "实时在线率\x0090%",
        "9" * EXCEL_CELL_MAX_CHARS,
        "1%" * (EXCEL_CELL_MAX_CHARS // 2),
        "压减至" + "1个、" * (EXCEL_CELL_MAX_CHARS // 3),
        ("达到" * 20 + "一" * 20) * (EXCEL_CELL_MAX_CHARS // 60),
        "“" * EXCEL_CELL_MAX_CHARS,
        "（" + "5个工作日" * (EXCEL_CELL_MAX_CHARS // 6),
        "所有" * (EXCEL_CELL_MAX_CHARS // 2),
        "全覆盖" * (EXCEL_CELL_MAX_CHARS // 3),
        "1.1.1.1." * (EXCEL_CELL_MAX_CHARS // 8),
        "5%-" * (EXCEL_CELL_MAX_CHARS // 3),
    ],
    ids=lambda text: repr(text[:12]) + f"×{len(text)}",
)
def test_it_reads_hostile_text_of_a_full_excel_cell_in_bounded_time(text):
    started = time.perf_counter()

    proposals = targets_propose(text)

    assert time.perf_counter() - started < 2.0
    assert len(proposals) <= 100
    for proposal in proposals:
        assert "\x00" not in proposal.quote + proposal.name
        assert text[proposal.start : proposal.end] == proposal.quote
        assert len(proposal.key) <= 255


def test_it_proposes_nothing_from_a_number_too_long_to_be_a_goal():
    assert read("达到" + "9" * 40 + "%") == []


FRAGMENTS = [
    *"0123456789",
    "９",
    "％",
    "%",
    ".",
    "-",
    "、",
    "，",
    "。",
    "“",
    "”",
    "（",
    "）",
    " ",
    "\x00",
    "\n",
    "个工作日",
    "个",
    "件",
    "次",
    "天",
    "年",
    "月底",
    "以内",
    "以上",
    "内",
    "左右",
    "压减至",
    "达到",
    "不少于",
    "分别",
    "最多",
    "至少压减",
    "全覆盖",
    "所有",
    "均可",
    "全部开通",
    "三分之二",
    "一",
    "率",
    "办理时间",
    "事项",
    "办结",
]


def test_it_keeps_its_promises_on_any_mix_of_the_words_it_knows():
    """Random texts from the reader's own vocabulary: whatever it proposes is
    whole — an exact quote, a direction with the values it needs, a unit and
    a name with no control characters."""
    rng = random.Random(12)
    started = time.perf_counter()
    for _ in range(3000):
        text = "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 40)))
        for p in targets_propose(text):
            assert text[p.start : p.end] == p.quote, text
            assert p.direction in (">=", "<=", "range"), text
            if p.direction == "range":
                assert p.value is None and p.value_min < p.value_max, text
            else:
                assert p.value is not None and p.value_min is p.value_max is None, text
            assert p.unit and p.name, text
            assert not any(ord(c) < 32 for c in p.quote + p.name), text
    assert time.perf_counter() - started < 10
