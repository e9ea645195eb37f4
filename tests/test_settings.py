"""Settings come from the environment, strictly."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from xsreform.env import env_bool, env_int, env_str


def run_manage(*args, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_passes_the_deploy_checks_with_production_settings(tmp_path):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="a-long-random-production-secret-" + "x" * 40,
        ALLOWED_HOSTS="reform.example.com",
        XSREFORM_VAR_DIR=str(tmp_path),
    )

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_it_refuses_to_start_without_a_secret_key_in_production(tmp_path):
    result = run_manage("check", DJANGO_DEBUG="0", XSREFORM_VAR_DIR=str(tmp_path))

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


def test_it_names_the_replacement_of_the_old_proxy_variable(tmp_path):
    result = run_manage("check", DJANGO_DEBUG="1", AXES_PROXY_COUNT="1", XSREFORM_VAR_DIR=str(tmp_path))

    assert result.returncode != 0
    assert "AXES_PROXY_COUNT is replaced by TRUSTED_PROXY_COUNT" in result.stderr


def test_it_stops_on_a_value_it_cannot_parse(monkeypatch):
    monkeypatch.setenv("XS_FLAG", "maybe")
    monkeypatch.setenv("XS_NUMBER", "12a")

    with pytest.raises(ImproperlyConfigured, match="XS_FLAG must be 0 or 1"):
        env_bool("XS_FLAG", False)
    with pytest.raises(ImproperlyConfigured, match="XS_NUMBER must be a whole number"):
        env_int("XS_NUMBER", 1)


def test_it_reads_a_secret_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("XS_SECRET_FILE", str(secret))

    assert env_str("XS_SECRET") == "from-a-file"


@pytest.mark.django_db
def test_it_speaks_chinese_to_an_english_browser_until_english_is_chosen(client):
    page = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "用户名" in page.content.decode()

    client.post("/i18n/setlang/", {"language": "en", "next": "/admin/login/"})
    page = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert "Username" in page.content.decode()


def test_it_reads_the_demo_env_file_and_lets_the_environment_win(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("# the demo\nDJANGO_DEBUG=1\n\nSITE_URL='http://demo.example'\n", encoding="utf-8")

    result = run_manage("check", XSREFORM_ENV_FILE=str(env_file), XSREFORM_VAR_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr

    refused = run_manage(
        "check", DJANGO_DEBUG="0", XSREFORM_ENV_FILE=str(env_file), XSREFORM_VAR_DIR=str(tmp_path)
    )
    assert "DJANGO_SECRET_KEY is required when DJANGO_DEBUG=0" in refused.stderr


def test_it_stops_on_a_malformed_env_file_line(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DJANGO_DEBUG=1\nthis is not a setting\n", encoding="utf-8")

    result = run_manage("check", XSREFORM_ENV_FILE=str(env_file), XSREFORM_VAR_DIR=str(tmp_path))

    assert result.returncode != 0
    assert "line 2: expected NAME=value" in result.stderr
