"""Days and moments as the interface language writes them (xsreform.dates)."""

import datetime as dt

import pytest
from django.utils import translation

from xsreform.dates import day_text, moment_text


@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh-hans", "2019年8月1日 00:30"), ("en", "1 Aug 2019 00:30")],
)
def test_it_writes_a_moment_in_the_site_time_zone_and_language(language, expected):
    late_in_utc = dt.datetime(2019, 7, 31, 16, 30, tzinfo=dt.UTC)  # past midnight in Asia/Shanghai
    with translation.override(language):
        assert moment_text(late_in_utc) == expected
        assert day_text(late_in_utc) == expected.rsplit(" ", 1)[0]


def test_it_writes_a_day_and_a_naive_moment_as_they_are():
    with translation.override("zh-hans"):
        assert day_text(dt.date(2019, 7, 31)) == "2019年7月31日"
        assert moment_text(dt.datetime(2019, 7, 31, 9, 5)) == "2019年7月31日 09:05"
        assert moment_text(None) == day_text(None) == ""
