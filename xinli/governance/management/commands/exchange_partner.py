"""Register an external 综治/网格化 platform for the exchange API, or list, deactivate or re-key one.

    manage.py exchange_partner add --key-id qd-zongzhi --name "青岛市综治平台" --unit 370200000000 --account zongzhi_api \\
        [--push-url https://zongzhi.example/xinli/push] [--person-fields name,id_number]
    manage.py exchange_partner share --key-id qd-zongzhi --person-fields name,id_number,address   # or "" for none
    manage.py exchange_partner list
    manage.py exchange_partner deactivate --key-id qd-zongzhi

``add`` prints the shared secret once: give it to the partner over a secure channel (it is stored encrypted).
``--person-fields``: the person fields pushed with persons-at-risk events and disputes (name, sex, birth_date, phone,
address, id_number); none by default — the partner then gets a pseudonymous reference only (docs/governance.md)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from xinli.accounts.models import User
from xinli.core.policy import ORDERS_CREATE
from xinli.core.scoping import path_in_scope
from xinli.governance import exchange
from xinli.governance.models import PERSON_FIELDS, ExchangePartner
from xinli.regions.models import OrgUnit


class Command(BaseCommand):
    help = "Register, list or deactivate an exchange partner (an external 综治 platform)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["add", "list", "deactivate", "share"])
        parser.add_argument("--key-id", default="")
        parser.add_argument("--name", default="")
        parser.add_argument("--unit", default="", help="12-digit code of the area the partner sends orders for")
        parser.add_argument("--account", default="", help="the partner's user in Xinli (orders.create over the area)")
        parser.add_argument("--push-url", default="", help="where results are pushed (optional)")
        parser.add_argument("--person-fields", default=None,
                            help=f"comma-separated person fields pushed with events ({', '.join(PERSON_FIELDS)}); default none")

    def handle(self, *args, action, key_id, name, unit, account, push_url, person_fields, **options):
        fields = [f.strip() for f in (person_fields or "").split(",") if f.strip()]
        unknown = [f for f in fields if f not in PERSON_FIELDS]
        if unknown:
            raise CommandError(f"--person-fields: unknown {', '.join(unknown)}; use some of {', '.join(PERSON_FIELDS)}")
        if action == "list":
            for p in ExchangePartner.objects.select_related("org_unit", "account").order_by("key_id"):
                self.stdout.write(f"{p.key_id}\t{p.name}\t{p.org_unit.code}\t{p.account.username}\t{p.push_url or '-'}\t"
                                  f"{','.join(p.person_fields) or '-'}\t{'active' if p.active else 'inactive'}")
            return
        if not key_id:
            raise CommandError("--key-id is required")
        if action == "share":
            if person_fields is None:
                raise CommandError("--person-fields is required (\"\" for none)")
            if not ExchangePartner.objects.filter(key_id=key_id).update(person_fields=fields):
                raise CommandError(f"no partner {key_id}")
            self.stdout.write(f"partner {key_id} receives person fields: {', '.join(fields) or 'none (reference only)'}")
            return
        if action == "deactivate":
            if not ExchangePartner.objects.filter(key_id=key_id).update(active=False):
                raise CommandError(f"no partner {key_id}")
            self.stdout.write(f"partner {key_id} deactivated")
            return
        org_unit = OrgUnit.objects.filter(code=unit, valid_to__isnull=True).first()
        if org_unit is None:
            raise CommandError(f"--unit: no current org unit with code {unit!r}")
        user = User.objects.filter(username=account, is_active=True).first()
        if user is None:
            raise CommandError(f"--account: no active user {account!r}")
        if not path_in_scope(user, ORDERS_CREATE, org_unit.path):
            raise CommandError(f"--account: {account} may not send work orders for {org_unit.name}; give it a 综治 office role there first")
        if ExchangePartner.objects.filter(key_id=key_id).exists():
            raise CommandError(f"--key-id: partner {key_id} exists")
        partner, secret = exchange.register_partner(key_id=key_id, name=name or key_id, org_unit=org_unit, account=user,
                                                    push_url=push_url, person_fields=fields)
        self.stdout.write(f"partner {partner.key_id} registered for {org_unit.name}; shared secret (shown once): {secret}")
