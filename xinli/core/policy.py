"""The one policy module: which role holds which capability. Anything not granted here is denied.

A capability is granted over the subtree of the org unit where the role is assigned (see ``xinli.core.scoping``).
The three administrator roles are separate (MLPS 2.0 level 3) and none of them reads person data.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

# Capabilities. Person-level ones read or write data about identifiable residents.
REGIONS_VIEW = "regions.view"
REGIONS_MANAGE = "regions.manage"
ARCHIVES_VIEW = "archives.view"
ARCHIVES_EDIT = "archives.edit"
ARCHIVES_MERGE = "archives.merge"  # compare two records of one resident and merge them (with archives.edit over both)
AUDIT_VIEW = "audit.view"
ACCOUNTS_MANAGE = "accounts.manage"
SECURITY_MANAGE = "security.manage"
SCREENING_ADMINISTER = "screening.administer"
SCREENING_CAMPAIGN = "screening.campaign"
ALERTS_WORK = "alerts.work"
ALERTS_REPORT = "alerts.report"
HOTLINE_OPERATE = "hotline.operate"
HOTLINE_SUPERVISE = "hotline.supervise"
SMD_VIEW = "smd.view"
SMD_FOLLOWUP = "smd.followup"
SMD_BASIC = "smd.basic"  # name, address, risk level and responsible doctor of patients: what a case team member needs
COUNSELLING_WORK = "counselling.work"
NETWORK_MANAGE = "network.manage"
OUTREACH_PUBLISH = "outreach.publish"
INDICATORS_VIEW = "indicators.view"
INDICATORS_MANAGE = "indicators.manage"  # set targets
FIELD_SYNC = "field.sync"  # the offline field app (issue 18): register a device, download a task pack, sync forms
IMPORTS_RUN = "imports.run"  # bulk import of existing records (issue 17); each row still goes through the domain services
# Work orders between departments (issue 19): send one (with the person it is about, where the sender may see them),
# work the orders of one's own department office (the person fields the order's kind declares), supervise every
# department's orders in an area (综治: deadlines and progress, no person data).
ORDERS_CREATE = "orders.create"
ORDERS_WORK = "orders.work"
ORDERS_SUPERVISE = "orders.supervise"
# The leading group (领导小组, issue 19 part 4): see its meetings, tasks and appraisals in an area (no person data);
# the 综治 office records meetings, assigns tasks to departments and sets the appraisal schemes.
LEADING_VIEW = "leading.view"
LEADING_MANAGE = "leading.manage"

PERSON_CAPABILITIES = frozenset({
    ARCHIVES_VIEW, ARCHIVES_EDIT, ARCHIVES_MERGE, SCREENING_ADMINISTER, SCREENING_CAMPAIGN, ALERTS_WORK, ALERTS_REPORT,
    HOTLINE_OPERATE, HOTLINE_SUPERVISE, SMD_VIEW, SMD_FOLLOWUP, SMD_BASIC, COUNSELLING_WORK, ORDERS_WORK,
})

# Capabilities of those who treat or follow up a person: only they read assessment answers, totals, bands and the
# trend (Mental Health Law: the police liaison gets what the SMD rules give it, a health officer reads the archive for
# administration). Reading the archive alone (ARCHIVES_VIEW) does not include assessment results.
ASSESSMENT_READ_CAPABILITIES = frozenset({SCREENING_ADMINISTER, COUNSELLING_WORK, SMD_FOLLOWUP, ALERTS_WORK})


class Role(models.TextChoices):
    COMMUNITY_WORKER = "community_worker", _("village/community/township worker, grid worker")
    COUNSELLOR = "counsellor", _("counsellor / social worker")
    SCHOOL_PSYCHOLOGIST = "school_psychologist", _("school psychologist")
    EAP_OFFICER = "eap_officer", _("workplace (EAP) officer")
    HOTLINE_OPERATOR = "hotline_operator", _("hotline counsellor")
    HOTLINE_SUPERVISOR = "hotline_supervisor", _("hotline supervisor")
    CRISIS_TEAM = "crisis_team", _("crisis team member")
    PSYCHIATRIST = "psychiatrist", _("psychiatrist")
    SMD_DOCTOR = "smd_doctor", _("community mental-health doctor")
    POLICE_LIAISON = "police_liaison", _("police liaison")
    HEALTH_OFFICER = "health_officer", _("health commission officer")
    PUBLICITY_OFFICER = "publicity_officer", _("publicity officer")
    # Issue 19: a department's staff (the department is on the assignment) and the 综治 office that leads them.
    DEPARTMENT_STAFF = "department_staff", _("department staff (civil affairs, justice, …)")
    GOVERNANCE_OFFICER = "governance_officer", _("comprehensive governance (综治) office")
    SYSTEM_ADMIN = "system_admin", _("system administrator")
    SECURITY_ADMIN = "security_admin", _("security administrator")
    AUDIT_ADMIN = "audit_admin", _("audit administrator")


@dataclass(frozen=True)
class Grant:
    capabilities: frozenset[str]
    administrator: bool = False  # privileged: always needs two factors


GRANTS: dict[str, Grant] = {
    Role.COMMUNITY_WORKER: Grant(frozenset({REGIONS_VIEW, ARCHIVES_VIEW, ARCHIVES_EDIT, ALERTS_REPORT, SCREENING_ADMINISTER, SMD_BASIC,
                                             FIELD_SYNC, ORDERS_CREATE})),
    Role.COUNSELLOR: Grant(frozenset({REGIONS_VIEW, ARCHIVES_VIEW, ARCHIVES_EDIT, SCREENING_ADMINISTER, COUNSELLING_WORK, ALERTS_REPORT,
                                       ORDERS_CREATE})),
    Role.SCHOOL_PSYCHOLOGIST: Grant(frozenset({REGIONS_VIEW, ARCHIVES_VIEW, SCREENING_ADMINISTER, SCREENING_CAMPAIGN, ALERTS_REPORT,
                                                ORDERS_CREATE})),
    Role.EAP_OFFICER: Grant(frozenset({REGIONS_VIEW, ARCHIVES_VIEW, SCREENING_ADMINISTER, SCREENING_CAMPAIGN, ALERTS_REPORT})),
    Role.HOTLINE_OPERATOR: Grant(frozenset({REGIONS_VIEW, HOTLINE_OPERATE, ALERTS_REPORT, ORDERS_CREATE})),
    Role.HOTLINE_SUPERVISOR: Grant(frozenset({REGIONS_VIEW, HOTLINE_OPERATE, HOTLINE_SUPERVISE, ALERTS_REPORT})),
    Role.CRISIS_TEAM: Grant(frozenset({REGIONS_VIEW, ARCHIVES_VIEW, ALERTS_WORK, ALERTS_REPORT, FIELD_SYNC})),
    Role.PSYCHIATRIST: Grant(frozenset({REGIONS_VIEW, ARCHIVES_VIEW, SMD_VIEW, SMD_FOLLOWUP, ALERTS_REPORT})),
    Role.SMD_DOCTOR: Grant(frozenset({REGIONS_VIEW, ARCHIVES_VIEW, ARCHIVES_EDIT, SMD_VIEW, SMD_FOLLOWUP, ALERTS_REPORT, IMPORTS_RUN,
                                       FIELD_SYNC, ORDERS_CREATE})),
    Role.POLICE_LIAISON: Grant(frozenset({REGIONS_VIEW, ARCHIVES_VIEW, ALERTS_REPORT, SMD_BASIC})),
    Role.HEALTH_OFFICER: Grant(frozenset({REGIONS_VIEW, ARCHIVES_VIEW, ARCHIVES_EDIT, ARCHIVES_MERGE, INDICATORS_VIEW, INDICATORS_MANAGE,
                                          NETWORK_MANAGE, IMPORTS_RUN, LEADING_VIEW})),
    Role.PUBLICITY_OFFICER: Grant(frozenset({REGIONS_VIEW, OUTREACH_PUBLISH, INDICATORS_VIEW})),
    # Department staff also read the indicators (aggregates, small cells withheld as for any reader without person
    # rights): their department's work-order figures and the indicators of their field.
    Role.DEPARTMENT_STAFF: Grant(frozenset({REGIONS_VIEW, ORDERS_WORK, INDICATORS_VIEW, LEADING_VIEW})),
    # The 综治 office also imports the orders a 12345 citizen hotline exports (imports.run; each row still goes through
    # the work-order service, which needs orders.create over the unit).
    Role.GOVERNANCE_OFFICER: Grant(frozenset({REGIONS_VIEW, ORDERS_SUPERVISE, ORDERS_CREATE, INDICATORS_VIEW, LEADING_VIEW,
                                              LEADING_MANAGE, IMPORTS_RUN})),
    Role.SYSTEM_ADMIN: Grant(frozenset({REGIONS_VIEW, REGIONS_MANAGE, ACCOUNTS_MANAGE, IMPORTS_RUN}), administrator=True),
    Role.SECURITY_ADMIN: Grant(frozenset({REGIONS_VIEW, SECURITY_MANAGE}), administrator=True),
    Role.AUDIT_ADMIN: Grant(frozenset({REGIONS_VIEW, AUDIT_VIEW}), administrator=True),
}


def role_grants(role: str, capability: str) -> bool:
    grant = GRANTS.get(role)
    return grant is not None and capability in grant.capabilities


def role_needs_two_factors(role: str) -> bool:
    """Roles that read person-level data, and the privileged administrators, log in with TOTP."""
    grant = GRANTS.get(role)
    return grant is not None and (grant.administrator or bool(grant.capabilities & PERSON_CAPABILITIES))


def all_capabilities() -> set[str]:
    return {c for g in GRANTS.values() for c in g.capabilities}
