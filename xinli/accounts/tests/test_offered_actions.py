"""The account pages offer exactly what the rules allow (issue 15): every button on /accounts/security/ and
/accounts/users/ is an action the services accept, and every action the services refuse has no button — in
particular nothing on the administrator's own row."""

from html.parser import HTMLParser

import pytest

from xinli.accounts.models import Assignment, User
from xinli.core.policy import Role
from xinli.testing.fixtures import login_verified, make_user

pytestmark = pytest.mark.django_db

ACCOUNT_ACTIONS = ("reset_2fa", "reset_password", "revoke_tokens", "disable")


class _Forms(HTMLParser):
    """The POST forms of a page: each as (its hidden fields, the action values of its submit buttons)."""

    def __init__(self):
        super().__init__()
        self.forms, self._form = [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method") == "post":
            self._form = ({}, [])
        elif self._form is not None and tag == "input" and a.get("type") == "hidden":
            self._form[0][a.get("name")] = a.get("value")
        elif self._form is not None and tag == "button" and a.get("name") == "action":
            self._form[1].append(a.get("value"))

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None


def _offered(client, url):
    """{(username or assignment pk, action)} offered on the page."""
    parser = _Forms()
    parser.feed(client.get(url).content.decode())
    out = set()
    for hidden, buttons in parser.forms:
        actions = buttons or [hidden.get("action")]
        key = hidden.get("username") or (int(hidden["assignment"]) if hidden.get("assignment") else None)
        for action in actions:
            if action in ("disable", "enable"):
                action = "disable"
            if key is not None and action in (*ACCOUNT_ACTIONS, "revoke"):
                out.add((key, action))
    return out


@pytest.fixture
def accounts(tree, personas):
    return {
        "system": personas.province_admin, "security": personas.security_admin, "audit": personas.audit_admin,
        "system2": make_user("system_admin_2", [(tree.province, Role.SYSTEM_ADMIN)]),
        "security2": make_user("security_admin_2", [(tree.province, Role.SECURITY_ADMIN)]),
        "audit2": make_user("audit_admin_2", [(tree.province, Role.AUDIT_ADMIN)]),
        "counsellor": personas.counsellor,
        "publicity": make_user("publicity", [(tree.city, Role.PUBLICITY_OFFICER)]),
    }


def _post(client, url, key, action):
    data = {"action": action}
    if action == "revoke":
        data["assignment"] = key
    else:
        data["username"] = key
    return client.post(url, data)


def _state(user: User) -> dict:
    user.refresh_from_db()
    return {"active": user.is_active, "password": user.password,
            "roles": set(Assignment.objects.filter(user=user, active=True).values_list("pk", flat=True))}


def _changed(user: User, before: dict) -> bool:
    return _state(user) != before


@pytest.mark.parametrize(("actor_key", "url"), [("security", "/accounts/security/"), ("system", "/accounts/users/")])
def test_every_offered_action_is_allowed_and_every_refused_one_is_hidden(client, accounts, actor_key, url):
    actor = accounts[actor_key]
    login_verified(client, actor)
    offered = _offered(client, url)
    assert offered, "the page offers no action at all"
    assert not any(key == actor.username for key, _a in offered), "actions offered on the administrator's own account"
    own_roles = set(actor.assignments.values_list("pk", flat=True))
    assert not any(key in own_roles for key, a in offered if a == "revoke"), "revoke offered on the administrator's own role"
    for name, target in accounts.items():
        if target.pk == actor.pk:
            continue
        actions = ACCOUNT_ACTIONS if actor_key == "security" else ("disable",)
        keys = [(target.username, a) for a in actions]
        keys += [(a.pk, "revoke") for a in target.assignments.filter(active=True)]
        for key, action in keys:
            state = _state(target)
            response = _post(client, url, key, action)
            if (key, action) in offered:
                assert response.status_code in (200, 302), (name, action, response.status_code)
            else:
                assert response.status_code in (403, 404), (name, action, response.status_code)
                assert not _changed(target, state), (name, action)
            if action == "disable" and response.status_code == 302:
                _post(client, url, key, "enable")  # back on, for the next actions


def test_security_page_offers_the_overseers_status_not_the_others(client, accounts):
    login_verified(client, accounts["security"])
    offered = _offered(client, "/accounts/security/")
    assert (accounts["audit"].username, "disable") in offered
    assert (accounts["security2"].username, "disable") in offered
    assert (accounts["counsellor"].username, "disable") not in offered  # the system administrator's call
    assert (accounts["system"].username, "disable") not in offered
    publicity_role = accounts["publicity"].assignments.get(active=True).pk
    assert (publicity_role, "revoke") not in offered  # no person data: ended by the system administrator


def test_own_row_reset_two_factor_is_refused(client, accounts):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    actor = accounts["security"]
    login_verified(client, actor)
    response = client.post("/accounts/security/", {"action": "reset_2fa", "username": actor.username})
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=actor, confirmed=True).exists()


def test_users_page_field_ids_are_unique(client, accounts):
    import re

    login_verified(client, accounts["system"])
    ids = re.findall(r'\sid="([^"]+)"', client.get("/accounts/users/").content.decode())
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
