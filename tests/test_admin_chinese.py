"""The admin as the office and the admin see it: business sections first,
the machinery under one 系统 section, and no English words left on the
index, any list or any add form (in Chinese)."""

import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db

# Words that are names, not untranslated interface text. Keep it short.
ALLOWED = {
    "Excel",  # the product the office uses for the annex and the reports
    "xlsx",  # the file type asked for on the import page
    "ID",
    "JSON",  # the notation the schedules' 参数 fields take, as their help says
    "IP",  # 登录日志's IP 地址
    "Ctrl",  # the key, as printed on keyboards (多选 help)
}


class VisibleText(HTMLParser):
    """The text a user reads: text nodes, button labels, titles and
    placeholders; not scripts, styles, and not data: the rows of a list
    (`tbody`), the signed-in user's name, options of a choice (users,
    units, registered job names), a filter's choices (`#changelist-filter
    ul`), read-only values (`div.readonly`) and inputs' values."""

    DATA_IDS = {"user-tools"}

    def __init__(self):
        super().__init__()
        self.skip = []
        self.texts = []
        self.in_filter = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.skip:
            if tag not in {"br", "img", "input", "meta", "link", "hr"}:
                self.skip.append(tag)
            return
        if attrs.get("id") == "changelist-filter":
            self.in_filter = True
        data = (
            tag in ("script", "style", "option", "tbody")
            or attrs.get("id") in self.DATA_IDS
            or (tag == "div" and "readonly" in (attrs.get("class") or "").split())
            or (tag == "ul" and self.in_filter)
        )
        if data:
            self.skip.append(tag)
            return
        for name in ("title", "placeholder", "aria-label", "alt"):
            if attrs.get(name):
                self.texts.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.texts.append(attrs["value"])

    def handle_endtag(self, tag):
        if self.skip and self.skip[-1] == tag:
            self.skip.pop()

    def handle_data(self, data):
        if not self.skip:
            self.texts.append(data)


def english_words(html: str) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    words = set()
    for text in parser.texts:
        words.update(re.findall(r"[A-Za-z][A-Za-z'’]+", text))
    return words - ALLOWED


def admin_pages() -> list[str]:
    pages = ["admin:index"]
    for model in admin.site._registry:
        opts = model._meta
        pages += [
            f"admin:{opts.app_label}_{opts.model_name}_changelist",
            f"admin:{opts.app_label}_{opts.model_name}_add",
        ]
    return sorted(pages)


@pytest.mark.parametrize("name", admin_pages())
def test_it_leaves_no_english_on_an_admin_page(client, admin_user, name):
    client.force_login(admin_user)
    response = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE="zh-hans")
    if response.status_code == 403:  # a list nobody adds to (login records, send log)
        return
    assert response.status_code == 200, name
    assert english_words(response.content.decode()) == set(), (
        name,
        sorted(english_words(response.content.decode())),
    )


def test_it_puts_business_first_and_the_machinery_under_one_system_section(client, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("admin:index"))
    sections = [str(app["name"]) for app in response.context["app_list"]]
    assert sections[:5] == ["改革计划", "任务落实", "提醒", "单位", "认证和授权"]
    assert sections[-1] == "系统"
    system = response.context["app_list"][-1]
    assert [str(m["name"]) for m in system["models"]] == [
        "登录失败与锁定",
        "登录失败日志",
        "登录日志",
        "定时任务",
        "定时规则（一次性）",
        "定时规则（按日出日落）",
        "定时规则（按时刻）",
        "定时规则（按间隔）",
    ]
