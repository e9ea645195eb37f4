"""What the demo's units write: a few templates of 进展情况 / 存在问题 /
下步计划, filled from the indicator's own text, and the office's reasons
for returning a claim. Varied by a seeded random.Random, so the same year
always reads the same."""

import random
import re

from indicators.models import Indicator

PROGRESS = [
    "已召开专题推进会，围绕“{subject}”明确责任科室和时间节点，目前完成约{percent}%。",
    "对照“{subject}”梳理事项清单{items}项，已完成{done}项，其余正在逐项推进。",
    "“{subject}”涉及的系统改造已进入联调测试，本月新增网上办件{cases}件。",
    "已完成“{subject}”工作方案起草，征求相关单位意见后正在修改完善。",
    "会同区数管局推进“{subject}”相关数据共享，已打通接口{done}个。",
    "组织窗口人员开展“{subject}”业务培训{done}场，办事指南已同步更新。",
]
PROBLEMS = [
    "",
    "",
    "部分事项涉及跨部门数据共享，接口尚未全部打通。",
    "基层窗口人员力量不足，业务培训需进一步加强。",
    "上级业务系统调整，部分功能需等待省市统一部署。",
    "个别事项办理依据尚未明确，需与上级主管部门进一步对接。",
]
NEXT_STEPS = [
    "下月完成剩余事项梳理，确保{deadline}前全部完成。",
    "加强与相关单位对接，推动数据共享和业务协同。",
    "继续开展业务培训，提升窗口人员办理能力。",
    "按时间节点推进系统上线，做好群众和企业的宣传引导。",
]
COMPLETED = [
    "“{subject}”已全部完成，相关制度文件和系统截图已归档。",
    "按目标任务完成“{subject}”，共办理相关事项{cases}件，群众反映良好。",
    "“{subject}”已落实到位，形成工作总结，佐证材料见附件。",
]
RETURN_REASONS = [
    "佐证材料不足，请补充相关文件或系统截图。",
    "完成情况与目标任务不一致：请说明“{subject}”的具体完成数据。",
    "报送内容过于简略，请补充完成时间和取得的成效。",
]
RESUBMITTED = "已按跑改办意见补充材料：“{subject}”的完成情况和数据见附件说明。"

_CLAUSE = re.compile(r"[，。；：、,;:（(]")


def subject(indicator: Indicator) -> str:
    """A short name for what the indicator asks: its text's first clause."""
    text = indicator.task_text.strip()
    first = _CLAUSE.split(text, maxsplit=1)[0].strip() or indicator.category
    return first if len(first) <= 24 else first[:22] + "…"


def progress(rng: random.Random, indicator: Indicator, percent: int) -> tuple[str, str, str]:
    values = {
        "subject": subject(indicator),
        "percent": percent,
        "items": rng.randint(8, 30),
        "done": max(1, percent // 10),
        "cases": rng.randint(20, 900),
        "deadline": f"{indicator.due_date.month}月底",
    }
    return (
        rng.choice(PROGRESS).format(**values),
        rng.choice(PROBLEMS),
        rng.choice(NEXT_STEPS).format(**values),
    )


def completed(rng: random.Random, indicator: Indicator) -> str:
    return rng.choice(COMPLETED).format(subject=subject(indicator), cases=rng.randint(20, 900))


def return_reason(rng: random.Random, indicator: Indicator) -> str:
    return rng.choice(RETURN_REASONS).format(subject=subject(indicator))


def resubmitted(indicator: Indicator) -> str:
    return RESUBMITTED.format(subject=subject(indicator))
