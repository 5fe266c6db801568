"""`manage.py demo_data`: load the Swedish demo data and print a login for each role."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Membership
from demo import sweden
from demo.areas import demo_areas_load
from demo.attachments import demo_attachments_load
from demo.dashboards import demo_dashboard_load
from demo.forecasts import demo_forecasts_load
from demo.load import demo_data_load
from demo.market import GROUP_CODE, PLATFORM_USERNAME, demo_market_load
from demo.register import LOCAL_DSO, demo_register_load

# (summary key, singular) in the order printed; the key is the plural.
SUMMARY_ORDER = (
    ("system operators", "system operator"), ("FSPs", "FSP"), ("regulators", "regulator"),
    ("products", "product"), ("connection points", "connection point"), ("SPUs", "SPU"),
    ("SPGs", "SPG"), ("SPG memberships", "SPG membership"), ("users", "user"),
    ("memberships", "membership"),
)


class Command(BaseCommand):
    help = (
        "Load demo data for Sweden (operators, FSPs, products, connection points, units, one "
        "login per role). Safe to run again: existing data is kept unchanged."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and count what would be created; save nothing."
        )
        parser.add_argument(
            "--force", action="store_true",
            help="Load even though DEBUG is off (the demo accounts share a published password).",
        )

    def handle(self, *args, **options) -> None:
        dry_run = options["dry_run"]
        if not (settings.DEBUG or dry_run or options["force"]):
            # The demo logins share one published password: never on an installation by accident.
            raise CommandError(
                "DEBUG is off: this looks like a real installation, and the demo accounts share a "
                "published password. Nothing was loaded. Use --force to load the demo data anyway."
            )
        summary = demo_data_load(dry_run=dry_run)
        parts = ", ".join(
            f"{n} {singular if n == 1 else plural}"
            for plural, singular in SUMMARY_ORDER
            for n in [summary.total(plural)]
        )
        created, existing = sum(summary.created.values()), sum(summary.existing.values())
        if dry_run:
            self.stdout.write(
                f"Dry run, nothing saved. Demo data for Sweden: {parts} "
                f"({created} would be created, {existing} already there)."
            )
            return
        self.stdout.write(self.style.SUCCESS(
            f"Demo data for Sweden: {parts} ({created} created, {existing} already there)."
        ))
        self._load_market_and_grid()
        self._load_daily_work()
        self.stdout.write(self._logins_table())

    def _load_market_and_grid(self) -> None:
        """The later issues' data on top of the base: areas, the market platform, forecasts, register."""
        # Observability areas of the demo operators (issue 3; demo/areas.py).
        areas = demo_areas_load()
        self.stdout.write(
            f"Observability areas: {areas['created']} created, {areas['existing']} already there."
        )
        # Issue 13: a market platform client for the activation check, a group approved in part.
        market = demo_market_load()
        self.stdout.write(
            f"Market platform client {PLATFORM_USERNAME}, registered for {sweden.TSO.name}: "
            f"token {market['token']} (POST /api/activation-check/ as {sweden.TSO.name})."
        )
        if market["group_case"] is not None:
            self.stdout.write(
                f"Group {GROUP_CODE}: case #{market['group_case'].pk}, approved except one member."
            )
        # Issue 16: grid zones and congestion forecasts for the next two days.
        forecasts = demo_forecasts_load()
        self.stdout.write(
            f"Grid zones: {forecasts['zones']} created; forecasts: {forecasts['publications']} published."
        )
        # Issue 14: awards and activations, a double activation refused, an area limit reached.
        register = demo_register_load()
        limit = f"#{register['limit'].pk}" if register["limit"] else "none"
        self.stdout.write(
            f"Activation register: {register['records']} records created on {register['units']} units of "
            f"{LOCAL_DSO}; conflict {'shown' if register['conflict'] else 'none'}; area limit {limit} "
            "(My grid: /register/my-grid/)."
        )

    def _load_daily_work(self) -> None:
        """Issue 15: what the home page's dashboards act on, and attached files."""
        dashboard_cases = demo_dashboard_load()
        self.stdout.write(
            f"Dashboards: {len(dashboard_cases)} applications created (due soon, asked, supplied)."
        )
        # A single-line diagram on an application, a grid study on a decision (files: not in the
        # dry run, whose rollback would leave them in the storage).
        attached = demo_attachments_load()
        self.stdout.write(
            f"Attachments: {attached['single-line diagrams']} single-line diagram(s) and "
            f"{attached['grid studies']} grid study(ies) attached."
        )

    def _logins_table(self) -> str:
        address = os.environ.get("GRIDPREQUAL_ADDR", "127.0.0.1:8000")
        header = ("username", "password", "role", "organisation", "what to try")
        rows = [
            (u.username, sweden.DEMO_PASSWORD, _role_label(u.role), u.organisation or "-", u.try_this)
            for u in sweden.USERS
        ]
        widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header) - 1)]

        def line(row: tuple[str, ...]) -> str:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            return "  ".join([*cells, row[-1]])

        rule = "  ".join(["-" * w for w in widths] + ["-" * len(header[-1])])
        return "\n".join([
            "",
            f"Log in at http://{address}/ as any of these (demo accounts, same password):",
            "",
            line(header),
            rule,
            *(line(row) for row in rows),
            "",
        ])


def _role_label(role: str) -> str:
    if role == sweden.PLATFORM_ADMIN:
        return "platform admin"
    return str(Membership.Role(role).label)
