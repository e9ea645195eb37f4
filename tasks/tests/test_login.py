import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from pytest_django.asserts import assertContains, assertRedirects


def log_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_it_shows_a_chinese_login_page(client, db):
    response = client.get(reverse("login"))
    assertContains(response, "<title>登录 · 萧山区“最多跑一次”改革任务管理</title>", html=True)
    assertContains(response, "用户名")
    assertContains(response, "密码")
    assertContains(response, 'name="csrfmiddlewaretoken"')


def test_it_sends_the_anonymous_to_the_login_page(client, db):
    assertRedirects(client.get(reverse("tasks:mine")), f"{reverse('login')}?next={reverse('tasks:mine')}")


@pytest.mark.parametrize(
    ("user_fixture", "password", "home"),
    [
        ("staff", "pw-sgj", "/tasks/"),
        ("office", "pw-office", "/tasks/dashboard/"),
        ("leader", "pw-leader", "/tasks/dashboard/"),
        ("admin_user", "pw-admin", "/admin/"),
    ],
)
def test_it_lands_each_role_on_its_own_home(client, request, units, user_fixture, password, home):
    user = request.getfixturevalue(user_fixture)
    response = log_in(client, user.username, password)
    assertRedirects(response, reverse("home"), target_status_code=302)
    assert client.get(reverse("home"))["Location"] == home


def test_it_returns_to_the_page_asked_for_after_login(client, staff):
    response = client.post(
        reverse("login"), {"username": "sgj", "password": "pw-sgj", "next": "/tasks/?show=overdue"}
    )
    assert response["Location"] == "/tasks/?show=overdue"


def test_it_says_in_chinese_when_the_password_is_wrong(client, staff):
    response = log_in(client, "sgj", "wrong")
    assert response.status_code == 200
    assertContains(response, "请输入一个正确的")


def test_it_locks_out_a_username_after_repeated_failures_from_one_address(client, staff, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        assert log_in(client, "sgj", "wrong").status_code == 200
    locked = log_in(client, "sgj", "wrong")
    assert locked.status_code == 429
    assertContains(locked, "登录已暂停", status_code=429)
    assertContains(locked, "连续 5 次密码错误", status_code=429)
    assertContains(locked, "请 15 分钟后再试", status_code=429)

    # Even the right password is refused while locked …
    assert log_in(client, "sgj", "pw-sgj").status_code == 429
    assert "_auth_user_id" not in client.session
    # … but only for that username from that address.
    assert AccessAttempt.objects.filter(username="sgj", ip_address="127.0.0.1").exists()


def test_it_does_not_lock_other_users_or_addresses(client, staff, other_staff):
    # 10.0.0.9 is where sgj has logged in before (a new address is locked
    # too: see test_it_locks_a_username_sprayed_from_many_addresses).
    assert log_in_from(client, "10.0.0.9", "sgj", "pw-sgj").status_code == 302
    client.logout()
    for _ in range(5):
        log_in(client, "sgj", "wrong")
    assert log_in(client, "bszx", "pw-bszx").status_code == 302
    client.logout()
    response = client.post(
        reverse("login"), {"username": "sgj", "password": "pw-sgj"}, REMOTE_ADDR="10.0.0.9"
    )
    assert response.status_code == 302


def log_in_from(client, remote_addr, username, password, forwarded_for=None):
    headers = {"REMOTE_ADDR": remote_addr}
    if forwarded_for:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    response = client.post(reverse("login"), {"username": username, "password": password}, **headers)
    client.logout()
    return response


VICTIM = "198.51.100.7"
ATTACKER = "203.0.113.9"
# (TRUSTED_PROXY_COUNT, REMOTE_ADDR, X-Forwarded-For as it reaches the app
# from the victim, and from the attacker, who sends the victim's address in
# an X-Forwarded-For of their own, to which each proxy appends what it saw).
PROXIES = {
    "no proxy": (0, None, None, VICTIM),
    "nginx": (1, "127.0.0.1", VICTIM, f"{VICTIM}, {ATTACKER}"),
    "load balancer and nginx": (2, "10.0.0.2", f"{VICTIM}, 10.0.0.1", f"{VICTIM}, {ATTACKER}, 10.0.0.1"),
}


@pytest.mark.parametrize("setup", PROXIES.values(), ids=PROXIES.keys())
def test_it_locks_the_attacker_out_but_lets_the_user_in_at_their_usual_address(
    client, staff, settings, setup
):
    count, proxy_addr, victim_forwarded, attacker_forwarded = setup
    settings.TRUSTED_PROXY_COUNT = count
    victim = (proxy_addr or VICTIM, "sgj")
    attacker = (proxy_addr or ATTACKER, "sgj")
    assert log_in_from(client, *victim, "pw-sgj", victim_forwarded).status_code == 302

    for _ in range(4):
        assert log_in_from(client, *attacker, "guess", attacker_forwarded).status_code == 200
    assert log_in_from(client, *attacker, "guess", attacker_forwarded).status_code == 429
    # Locked, whatever the attacker tries next …
    assert log_in_from(client, *attacker, "pw-sgj", attacker_forwarded).status_code == 429
    # … and recorded under the attacker's own address, not the one they sent.
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}

    # The user, at the address they always log in from, is not.
    assert log_in_from(client, *victim, "pw-sgj", victim_forwarded).status_code == 302


def test_it_locks_a_username_sprayed_from_many_addresses(client, staff):
    assert log_in_from(client, VICTIM, "sgj", "pw-sgj").status_code == 302
    statuses = [log_in_from(client, f"203.0.113.{n}", "sgj", "guess").status_code for n in range(1, 6)]
    assert statuses == [200, 200, 200, 200, 429]

    # From yet another address, even the right password is refused: five
    # failures in all lock the username for addresses it never used …
    locked = log_in_from(client, "203.0.113.99", "sgj", "pw-sgj")
    assert locked.status_code == 429
    assertContains(locked, "暂停从新的电脑或网络登录", status_code=429)
    assertContains(locked, "请 15 分钟后再试", status_code=429)
    # … but not for the user at their usual address.
    assert log_in_from(client, VICTIM, "sgj", "pw-sgj").status_code == 302


def test_it_locks_the_user_out_of_their_usual_address_after_their_own_failures(client, staff):
    assert log_in_from(client, VICTIM, "sgj", "pw-sgj").status_code == 302
    statuses = [log_in_from(client, VICTIM, "sgj", "wrong").status_code for _ in range(5)]

    assert statuses == [200, 200, 200, 200, 429]
    locked = log_in_from(client, VICTIM, "sgj", "pw-sgj")
    assertContains(locked, "该账号在本机连续 5 次密码错误", status_code=429)


def test_it_ignores_a_forwarded_address_without_a_trusted_proxy(client, staff, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    log_in_from(client, ATTACKER, "sgj", "guess", forwarded_for=VICTIM)

    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [ATTACKER]


def test_it_falls_back_to_the_peer_when_the_proxies_are_bypassed(client, staff, settings):
    settings.TRUSTED_PROXY_COUNT = 2
    log_in_from(client, ATTACKER, "sgj", "guess", forwarded_for=VICTIM)

    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [ATTACKER]


def test_it_greets_after_login_and_confirms_logout(client, staff):
    staff.first_name = "张联络"
    staff.save()
    home = client.post(reverse("login"), {"username": "sgj", "password": "pw-sgj"}, follow=True)
    assertContains(home, "欢迎，张联络。")
    response = client.post(reverse("logout"), follow=True)
    assertRedirects(response, reverse("login"))
    assert "_auth_user_id" not in client.session
    assertContains(response, "您已安全退出。")


# 修改密码


def test_it_changes_the_users_own_password_in_the_portal(client, staff):
    client.force_login(staff)
    page = client.get(reverse("password_change"))
    assertContains(page, "修改密码")
    assertContains(page, 'href="/password/"')  # the user menu links to it

    response = client.post(
        reverse("password_change"),
        {
            "old_password": "pw-sgj",
            "new_password1": "Xiaoshan-2019-new",
            "new_password2": "Xiaoshan-2019-new",
        },
        follow=True,
    )

    assertRedirects(response, reverse("tasks:mine"))
    assertContains(response, "密码已修改，下次登录请使用新密码。")
    staff.refresh_from_db()
    assert staff.check_password("Xiaoshan-2019-new")
    assert "_auth_user_id" in client.session  # still signed in


def test_it_refuses_a_wrong_old_password_or_a_weak_new_one_in_chinese(client, staff):
    client.force_login(staff)
    wrong = client.post(
        reverse("password_change"),
        {"old_password": "guess", "new_password1": "Xiaoshan-2019-new", "new_password2": "Xiaoshan-2019-new"},
    )
    assertContains(wrong, "你的旧密码不正确")
    weak = client.post(
        reverse("password_change"), {"old_password": "pw-sgj", "new_password1": "123", "new_password2": "123"}
    )
    assertContains(weak, "密码太短，至少需要 8 个字符。")
    staff.refresh_from_db()
    assert staff.check_password("pw-sgj")


def test_it_sends_an_anonymous_visitor_of_the_password_page_to_login(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
