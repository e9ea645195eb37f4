"""Synthetic data at the size of a province, for bench/province.py.

    python bench/province_data.py [--database-url URL] [--plans 90] [--reports 1000000]

Drops and recreates the database of --database-url (default: the local
xsreform_province; it refuses any database whose name lacks "bench" or
"province"), migrates it, loads the unit directory of fixtures/, then writes
one plan per district of Zhejiang's 90 counties — each about 55 indicators,
60 units of its own and 20 units per indicator — about 5,000 indicators,
100,000 tasks and 1,000,000 progress reports in all, with the reviews and the
django-simple-history rows the portal would have written for each report and
review (so "as of" and the trend have a real history to read).

The data model holds one plan per year, so the 90 plans are the years up to
this one; this year's plan has its reports only up to today, and is the one
the benchmark reads. The big tables are written with COPY (psycopg2
copy_expert), with foreign-key triggers off (session_replication_role =
replica; the generator keeps the ids consistent) and secondary indexes
dropped during the load and rebuilt after it, then VACUUM ANALYZE.
Deterministic for a given --seed."""

import argparse
import datetime as dt
import io
import os
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/xsreform_province"
SHANGHAI = ZoneInfo("Asia/Shanghai")

# Zhejiang's 90 county-level divisions (2021), one plan each.
DISTRICTS = [
    "上城区",
    "拱墅区",
    "西湖区",
    "滨江区",
    "萧山区",
    "余杭区",
    "临平区",
    "钱塘区",
    "富阳区",
    "临安区",
    "桐庐县",
    "淳安县",
    "建德市",
    "海曙区",
    "江北区",
    "北仑区",
    "镇海区",
    "鄞州区",
    "奉化区",
    "余姚市",
    "慈溪市",
    "象山县",
    "宁海县",
    "鹿城区",
    "龙湾区",
    "瓯海区",
    "洞头区",
    "瑞安市",
    "乐清市",
    "龙港市",
    "永嘉县",
    "平阳县",
    "苍南县",
    "文成县",
    "泰顺县",
    "南湖区",
    "秀洲区",
    "海宁市",
    "平湖市",
    "桐乡市",
    "嘉善县",
    "海盐县",
    "吴兴区",
    "南浔区",
    "德清县",
    "长兴县",
    "安吉县",
    "越城区",
    "柯桥区",
    "上虞区",
    "诸暨市",
    "嵊州市",
    "新昌县",
    "婺城区",
    "金东区",
    "兰溪市",
    "义乌市",
    "东阳市",
    "永康市",
    "武义县",
    "浦江县",
    "磐安县",
    "柯城区",
    "衢江区",
    "江山市",
    "常山县",
    "开化县",
    "龙游县",
    "定海区",
    "普陀区",
    "岱山县",
    "嵊泗县",
    "椒江区",
    "黄岩区",
    "路桥区",
    "临海市",
    "温岭市",
    "玉环市",
    "三门县",
    "天台县",
    "仙居县",
    "莲都区",
    "龙泉市",
    "青田县",
    "缙云县",
    "遂昌县",
    "松阳县",
    "云和县",
    "庆元县",
    "景宁畲族自治县",
]
assert len(DISTRICTS) == 90

DEPARTMENTS = [
    "发改局",
    "经信局",
    "教育局",
    "科技局",
    "公安分局",
    "民政局",
    "司法局",
    "财政局",
    "人力社保局",
    "自然资源分局",
    "住建局",
    "交通局",
    "水利局",
    "农业农村局",
    "商务局",
    "文广旅体局",
    "卫生健康局",
    "退役军人事务局",
    "应急管理局",
    "审计局",
    "市场监管局",
    "统计局",
    "医保分局",
    "城管局",
    "数管局",
    "信访局",
    "税务局",
    "行政服务中心",
    "综合执法局",
    "人民法院",
    "人民检察院",
    "供电公司",
    "自来水公司",
    "燃气公司",
    "移动分公司",
    "电信分公司",
    "联通分公司",
    "广电网络公司",
    "人民银行支行",
    "不动产登记中心",
    "公积金管理部",
    "档案馆",
]
TOWNS = [
    "城东街道",
    "城西街道",
    "城南街道",
    "城北街道",
    "新城街道",
    "开发区",
    "东部新区",
    "高新园区",
    "临港镇",
    "青山镇",
    "白沙镇",
    "石桥镇",
    "桃源镇",
    "枫林镇",
    "梅溪镇",
    "河口镇",
    "龙山乡",
    "凤凰乡",
]
UNITS_PER_DISTRICT = len(DEPARTMENTS) + len(TOWNS)  # 60

CATEGORIES = [
    "夯实事项基础",
    "夯实数据基础",
    "夯实体制基础",
    "投资项目审批",
    "商事登记便利化改革",
    "办税便利化改革",
    "不动产交易登记",
    "获得用水用气",
    "获得电力",
    "获得网络",
    "政府采购",
    "招标投标",
    "“就近办”",
    "“一件事”",
    "社保医保服务",
    "信用监管",
]
VERBS = ["推进", "深化", "完善", "实现", "落实", "拓展"]
OBJECTS = ["数据共享", "一窗受理", "网上办理", "掌上办理", "减材料", "减环节", "电子证照应用", "帮办代办"]
PROGRESS = [
    "已完成阶段工作的{p}%，正按计划推进。",
    "完成系统对接测试，{p}%事项实现网上办理。",
    "召开专题推进会，落实责任分工，进度{p}%。",
    "梳理事项清单，已上线{p}%。",
    "与省级平台完成数据对接，覆盖率{p}%。",
]
PROBLEMS = ["部门间数据接口尚未打通", "人员不足，进度偏慢", "上级系统改造未完成", "资金尚未到位"]
NEXT_STEPS = ["下月完成系统上线", "加快推进剩余事项梳理", "组织培训并全面推广"]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--plans", type=int, default=90)
    parser.add_argument("--indicators", type=int, default=5000, help="in all plans together")
    parser.add_argument("--reports", type=int, default=1_000_000, help="about this many progress reports")
    parser.add_argument("--seed", type=int, default=2019)
    return parser.parse_args()


def recreate_database(url: str) -> None:
    import psycopg2

    name = urlparse(url).path.lstrip("/")
    if "bench" not in name and "province" not in name:
        raise SystemExit(f"refusing to drop {name!r}: the database name must contain 'bench' or 'province'")
    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xsreform.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    import django

    django.setup()


class Copier:
    """Rows for one table, sent with COPY in batches. Values must hold no tab,
    newline or backslash (nothing generated here does); None is NULL."""

    BATCH = 200_000

    def __init__(self, cursor, table: str, columns: list[str]):
        self.cursor, self.table, self.columns = cursor, table, columns
        self.lines: list[str] = []
        self.count = 0

    def add(self, *values) -> None:
        self.lines.append("\t".join(r"\N" if v is None else str(v) for v in values))
        if len(self.lines) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.lines:
            return
        data = io.StringIO("\n".join(self.lines) + "\n")
        self.cursor.copy_expert(f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN", data)
        self.count += len(self.lines)
        self.lines = []


def check_columns(model, columns: list[str]) -> None:
    actual = {f.column for f in model._meta.concrete_fields}
    missing = actual - set(columns)
    if missing or set(columns) - actual:
        raise SystemExit(
            f"{model._meta.db_table}: columns changed ({sorted(missing)}); update bench/province_data.py"
        )


def ts(moment: dt.datetime) -> str:
    return moment.isoformat(sep=" ")


def month_end(year: int, month: int) -> dt.date:
    return (dt.date(year + month // 12, month % 12 + 1, 1)) - dt.timedelta(days=1)


def main():
    args = parse_args()
    started = time.perf_counter()
    recreate_database(args.database_url)
    setup_django(args.database_url)

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import Count
    from django.utils import timezone
    from simple_history.utils import bulk_create_with_history

    from departments.models import Membership, Unit
    from departments.roles import REFORM_OFFICE
    from indicators.models import Indicator, IndicatorUnit, Plan
    from tasks.models import ProgressReport, Review, Task

    call_command("migrate", verbosity=0)
    call_command("loaddata", "xiaoshan-units", verbosity=0)
    print(f"database ready in {time.perf_counter() - started:.1f} s", flush=True)

    rng = random.Random(args.seed)
    now = timezone.now()
    this_year = timezone.localdate().year
    User = get_user_model()

    history_task = Task.history.model
    history_report = ProgressReport.history.model
    history_review = Review.history.model
    columns = {
        IndicatorUnit: ["id", "indicator_id", "unit_id", "role", "position"],
        Task: ["id", "indicator_id", "unit_id", "role", "status", "due_date", "is_active", "version", "created_at", "updated_at", "extended_due_date", "accepted_report_on"],
        history_task: [
            "id", "role", "status", "due_date", "is_active", "version", "created_at", "updated_at", "indicator_id",
            "unit_id", "history_id", "history_date", "history_change_reason", "history_type", "history_user_id",
            "extended_due_date", "accepted_report_on",
        ],
        ProgressReport: ["id", "task_id", "author_id", "created_at", "status", "percent", "progress", "problems", "next_steps"],
        history_report: [
            "id", "created_at", "status", "percent", "progress", "problems", "next_steps", "task_id", "author_id",
            "history_id", "history_date", "history_change_reason", "history_type", "history_user_id",
        ],
        Review: ["id", "task_id", "reviewer_id", "decision", "reason", "created_at"],
        history_review: [
            "id", "decision", "reason", "created_at", "task_id", "reviewer_id", "history_id", "history_date",
            "history_change_reason", "history_type", "history_user_id",
        ],
    }  # fmt: skip
    for model, cols in columns.items():
        check_columns(model, cols)

    # People: the reform office (reviews) and one staff member per district (reports).
    office_group = Group.objects.get(name=REFORM_OFFICE)
    office = User.objects.create(
        username="bench-office", first_name="跑改办", email="office@bench.example.test", is_staff=True
    )
    office.set_unusable_password()
    office.save()
    office.groups.add(office_group)
    staff_users = User.objects.bulk_create(
        User(username=f"bench-staff-{k:02d}", first_name=f"{DISTRICTS[k]}联络员", password="!")
        for k in range(args.plans)
    )

    # Units, plans and indicators through the ORM (small); history rows for indicators.
    # Each unit has a contact address, so that a sweep's digests (bench/delivery.py) go out by e-mail.
    units = Unit.objects.bulk_create(
        Unit(
            name=f"{DISTRICTS[k % 90]}{suffix}" + (f"{k // 90}" if k >= 90 else ""),
            kind=Unit.Kind.UNIT,
            contact_email=f"unit-{k}-{j}@units.bench.example.test",
        )
        for k in range(args.plans)
        for j, suffix in enumerate(DEPARTMENTS + TOWNS)
    )
    unit_ids = [u.pk for u in units]
    plans = []
    indicators_by_plan: list[list[Indicator]] = []
    first_year = this_year - args.plans + 1
    for k in range(args.plans):
        year = first_year + k
        created = dt.datetime(year, 1, 10, 9, 0, tzinfo=SHANGHAI)
        plan = Plan.objects.create(
            year=year, title=f"{DISTRICTS[k % 90]}{year}年度“最多跑一次”改革工作指标（合成数据）"
        )
        Plan.objects.filter(pk=plan.pk).update(created_at=created)
        count = args.indicators * (k + 1) // args.plans - args.indicators * k // args.plans
        rows = []
        for i in range(count):
            whole_year = rng.random() < 0.25
            month = 12 if whole_year else rng.randint(3, 12)
            rows.append(
                Indicator(
                    plan=plan,
                    code=str(i + 1),
                    position=i,
                    category=CATEGORIES[i * len(CATEGORIES) // count],
                    task_text=f"{rng.choice(VERBS)}{'、'.join(rng.sample(OBJECTS, 3))}，第{i + 1}项改革任务全面落地。",
                    deadline_label="全年" if whole_year else f"{month}月底",
                    due_date=month_end(year, month),
                    ongoing=whole_year,
                )
            )
        indicators_by_plan.append(bulk_create_with_history(rows, Indicator, default_date=created))
        plans.append((plan, created))
    print(
        f"{len(units)} units, {len(plans)} plans, {sum(map(len, indicators_by_plan))} indicators "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )

    # Tasks, their reports and reviews, and the history of each, with COPY.
    reports_per_task = args.reports / (args.indicators * 20)  # ~20 tasks per indicator
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # no FK triggers during the load
        tables = [m._meta.db_table for m in columns]
        cursor.execute(
            """SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) AND indexname NOT IN
               (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))""",
            [tables],
        )
        secondary = cursor.fetchall()
        for name, _definition in secondary:
            cursor.execute(f'DROP INDEX "{name}"')
        out = {model: Copier(cursor, model._meta.db_table, cols) for model, cols in columns.items()}
        ids = {"iu": 0, "task": 0, "report": 0, "review": 0, "h_task": 0, "h_report": 0, "h_review": 0}

        def next_id(kind: str) -> int:
            ids[kind] += 1
            return ids[kind]

        for k, ((plan, created), indicators) in enumerate(zip(plans, indicators_by_plan, strict=True)):
            district_units = unit_ids[k * UNITS_PER_DISTRICT : (k + 1) * UNITS_PER_DISTRICT]
            author = staff_users[k].pk
            year_end = dt.datetime(plan.year, 12, 31, 18, 0, tzinfo=SHANGHAI) + dt.timedelta(days=20)
            horizon = min(year_end, now)
            for indicator in indicators:
                chosen = rng.sample(district_units, rng.randint(8, 32))
                leads = 2 if rng.random() < 0.2 else 1
                due_at = dt.datetime.combine(indicator.due_date, dt.time(17, 0), tzinfo=SHANGHAI)
                for position, unit_id in enumerate(chosen):
                    role = "lead" if position < leads else "responsible"
                    out[IndicatorUnit].add(next_id("iu"), indicator.pk, unit_id, role, position)
                    task_id = next_id("task")
                    # The task's events: reports, then maybe completion and review(s).
                    events = []  # (moment, kind, status, percent, extra)
                    if rng.random() >= 0.05:
                        start = created + dt.timedelta(days=rng.uniform(3, 40))
                        finish = due_at + dt.timedelta(days=rng.gauss(-12, 15))
                        completes = rng.random() < 0.85 and finish <= horizon and finish > start
                        last = finish if completes else horizon
                        count = max(1, round(rng.uniform(0.4, 1.6) * reports_per_task))
                        moments = sorted(start + (last - start) * rng.random() for _ in range(count))
                        percent = 0
                        for moment in moments:
                            if moment >= horizon:
                                break
                            percent = min(95, percent + rng.randint(3, 15))
                            events.append((moment, "report", "in_progress", percent))
                        if completes:
                            events.append((finish, "report", "completed", 100))
                            review_at = finish + dt.timedelta(days=rng.uniform(1, 8))
                            fate = rng.random()
                            if review_at < horizon and fate < 0.85:
                                if fate < 0.15:  # returned, completed again, verified
                                    events.append((review_at, "review", "returned", None))
                                    again = review_at + dt.timedelta(days=rng.uniform(2, 10))
                                    verify = again + dt.timedelta(days=rng.uniform(1, 5))
                                    if again < horizon:
                                        events.append((again, "report", "completed", 100))
                                    if verify < horizon:
                                        events.append((verify, "review", "verified", None))
                                else:
                                    events.append((review_at, "review", "verified", None))
                    status = events[-1][2] if events else "not_started"
                    updated = events[-1][0] if events else created
                    # The day of the last report before the verification (Task.accepted_report_on).
                    reported = [moment for moment, kind, *_ in events if kind == "report"]
                    accepted = reported[-1].astimezone(SHANGHAI).date() if status == "verified" else None
                    out[Task].add(
                        task_id, indicator.pk, unit_id, role, status, indicator.due_date, "t", len(events),
                        ts(created), ts(updated), None, accepted,
                    )  # fmt: skip
                    out[history_task].add(
                        task_id, role, "not_started", indicator.due_date, "t", 0, ts(created), ts(created),
                        indicator.pk, unit_id, next_id("h_task"), ts(created), None, "+", None, None, None,
                    )  # fmt: skip
                    for version, (moment, kind, event_status, percent) in enumerate(events, start=1):
                        when = ts(moment)
                        if kind == "report":
                            report_id = next_id("report")
                            progress = rng.choice(PROGRESS).format(p=percent)
                            problems = rng.choice(PROBLEMS) if rng.random() < 0.3 else ""
                            steps = rng.choice(NEXT_STEPS) if rng.random() < 0.5 else ""
                            out[ProgressReport].add(
                                report_id,
                                task_id,
                                author,
                                when,
                                event_status,
                                percent,
                                progress,
                                problems,
                                steps,
                            )
                            out[history_report].add(
                                report_id, when, event_status, percent, progress, problems, steps, task_id, author,
                                next_id("h_report"), when, None, "+", author,
                            )  # fmt: skip
                            reason, user = "进展报送", author
                        else:
                            review_id = next_id("review")
                            decision = "verified" if event_status == "verified" else "returned"
                            text = "请补充佐证材料" if decision == "returned" else ""
                            out[Review].add(review_id, task_id, office.pk, decision, text, when)
                            out[history_review].add(
                                review_id, decision, text, when, task_id, office.pk, next_id("h_review"), when,
                                None, "+", office.pk,
                            )  # fmt: skip
                            reason, user = ("核实办结" if decision == "verified" else "退回"), office.pk
                        out[history_task].add(
                            task_id, role, event_status, indicator.due_date, "t", version, ts(created), when,
                            indicator.pk, unit_id, next_id("h_task"), when, reason, "~", user, None,
                            accepted if event_status == "verified" else None,
                        )  # fmt: skip
            if k % 15 == 14:
                print(f"  {k + 1} plans, {ids['task']} tasks, {ids['report']} reports", flush=True)
        for copier in out.values():
            copier.flush()
        print(f"rows written in {time.perf_counter() - started:.1f} s; rebuilding indexes", flush=True)
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in secondary:
            cursor.execute(definition)
        for model in columns:
            table, pk = model._meta.db_table, model._meta.pk.column
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{pk}'), (SELECT COALESCE(MAX({pk}), 1) FROM {table}))"  # noqa: S608 - model names
            )

    # The benchmark's people: staff of the unit with most tasks in this year's plan.
    current_plan = plans[-1][0]
    busiest = (
        Task.objects.filter(indicator__plan=current_plan)
        .values("unit_id")
        .annotate(n=Count("id"))
        .order_by("-n", "unit_id")
        .first()
    )
    bench_staff = User.objects.create(username="bench-staff", first_name="联络员", password="!")
    Membership.objects.create(user=bench_staff, unit_id=busiest["unit_id"])
    extras = consultation_and_targets(current_plan, office=office, staff=bench_staff, rng=random.Random(7))

    with connection.cursor() as cursor:  # autocommit, as VACUUM needs
        for model in [Unit, Plan, Indicator, Indicator.history.model, *columns, *extras]:
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
    elapsed = time.perf_counter() - started
    print(
        f"done in {elapsed:.0f} s: {len(plans)} plans, {sum(map(len, indicators_by_plan))} indicators, "
        f"{ids['task']} tasks, {ids['report']} progress reports, {ids['review']} reviews, "
        f"{ids['h_task']} task history rows; this year's plan: {current_plan.year}"
    )


def consultation_and_targets(plan, *, office, staff, rng) -> list:
    """The measured plan's 征求意见 (each unit's answer on each of its
    indicators, a quarter of them comments, most answered by the office)
    and 目标 (one confirmed target on two indicators in three, with values
    reported by the lead units), for the feedback table and the target
    pages. Returns the models it wrote."""
    from indicators.models import Consultation, ConsultationAnswer, Target
    from tasks.models import ProgressReport, TargetValue, Task

    opened = dt.datetime(plan.year, 1, 5, 9, 0, tzinfo=SHANGHAI)
    consultation = Consultation.objects.create(
        plan=plan,
        deadline=dt.date(plan.year, 1, 20),
        message="请各单位对年度任务清单提出意见。",
        opened_by=office,
        opened_at=opened,
        closed_at=opened + dt.timedelta(days=20),
    )
    answers = []
    for unit_id, indicator_id in Task.objects.filter(indicator__plan=plan).values_list(
        "unit_id", "indicator_id"
    ):
        answered = opened + dt.timedelta(days=rng.uniform(1, 14))
        comment = rng.random() < 0.25
        decided = comment and rng.random() < 0.8
        answers.append(
            ConsultationAnswer(
                consultation=consultation,
                unit_id=unit_id,
                indicator_id=indicator_id,
                kind="comment" if comment else "none",
                text="建议将完成时限延后一个月，并明确牵头单位的汇总职责。" if comment else "",
                answered_by=staff,
                answered_at=answered,
                decision=rng.choice(["adopted", "partly", "rejected"]) if decided else "",
                reply="已按意见调整。" if decided else "",
                decided_by=office if decided else None,
                decided_at=answered + dt.timedelta(days=3) if decided else None,
            )
        )
    ConsultationAnswer.objects.bulk_create(answers)

    confirmed = opened + dt.timedelta(days=30)
    targets = [
        Target(
            indicator=indicator,
            key=f"bench-{indicator.pk}",
            name="网上可办率",
            direction=">=",
            value=rng.choice([80, 90, 95, 100]),
            unit="%",
            quote="网上可办率达到90%",
            status="confirmed",
            confirmed_by=office,
            confirmed_at=confirmed,
        )
        for indicator in plan.indicators.all()
        if rng.random() < 2 / 3
    ]
    Target.objects.bulk_create(targets)
    values = []
    for target in targets:
        reports = ProgressReport.objects.filter(
            task__indicator_id=target.indicator_id, task__role="lead", created_at__gt=confirmed
        ).order_by("created_at")
        for report in reports:
            values.append(
                TargetValue(
                    target=target,
                    report=report,
                    task_id=report.task_id,
                    value=round(rng.uniform(60, 100), 1),
                    as_of=report.created_at.astimezone(SHANGHAI).date(),
                    source="业务系统统计",
                    created_at=report.created_at,
                )
            )
    TargetValue.objects.bulk_create(values)
    return [Consultation, ConsultationAnswer, Target, TargetValue]


if __name__ == "__main__":
    main()
