"""The /api/v1/ routes. Every viewset declares ``scope_model`` and ``scope_field`` so that the authorization matrix
test covers it automatically."""

from django.urls import path

from xinli.accounts import api as accounts_api
from xinli.alerts import api as alerts_api
from xinli.archives import api as archives_api
from xinli.core.api import Router
from xinli.counselling import api as counselling_api
from xinli.field import api as field_api
from xinli.governance import api as governance_api
from xinli.hotline import api as hotline_api
from xinli.indicators import api as indicators_api
from xinli.network import api as network_api
from xinli.regions import api as regions_api
from xinli.screening import api as screening_api
from xinli.smd import api as smd_api

router = Router(trailing_slash=True)
router.include_root_view = False
router.register("org-units", regions_api.OrgUnitViewSet, basename="orgunit")
router.register("persons", archives_api.PersonViewSet, basename="person")
router.register("consents", archives_api.ConsentViewSet, basename="consent")
router.register("duplicate-requests", archives_api.DuplicateRequestViewSet, basename="duplicate-request")
router.register("transfers", archives_api.TransferViewSet, basename="transfer")
router.register("possible-duplicates", archives_api.PossibleDuplicateViewSet, basename="possible-duplicate")
router.register("person-merges", archives_api.PersonMergeViewSet, basename="person-merge")
router.register("assessments", screening_api.AssessmentViewSet, basename="assessment")
router.register("alerts", alerts_api.AlertViewSet, basename="alert")
router.register("crisis-cases", alerts_api.CrisisCaseViewSet, basename="crisis-case")
router.register("crisis-events", alerts_api.CrisisEventViewSet, basename="crisis-event")
router.register("follow-ups", alerts_api.FollowUpViewSet, basename="follow-up")
router.register("crisis-teams", alerts_api.CrisisTeamViewSet, basename="crisis-team")
router.register("notifications", alerts_api.NotificationViewSet, basename="notification")
router.register("hotline/lines", hotline_api.LineViewSet, basename="hotline-line")
router.register("hotline/calls", hotline_api.CallViewSet, basename="hotline-call")
router.register("smd/patients", smd_api.PatientViewSet, basename="smd-patient")
router.register("smd/worklist", smd_api.WorklistViewSet, basename="smd-worklist")
router.register("smd/indicators", smd_api.IndicatorViewSet, basename="smd-indicator")
router.register("network/institutions", network_api.InstitutionViewSet, basename="network-institution")
router.register("network/sites", network_api.SiteViewSet, basename="network-site")
router.register("network/staff", network_api.StaffViewSet, basename="network-staff")
router.register("network/coverage", network_api.CoverageViewSet, basename="network-coverage")
router.register("network/inspection-plans", network_api.PlanViewSet, basename="network-plan")
router.register("network/rectifications", network_api.RectificationViewSet, basename="network-rectification")
router.register("network/courses", network_api.CourseViewSet, basename="network-course")
router.register("network/volunteers", network_api.VolunteerViewSet, basename="network-volunteer")
router.register("counselling/cases", counselling_api.CaseViewSet, basename="counselling-case")
router.register("counselling/plans", counselling_api.PlanViewSet, basename="counselling-plan")
router.register("counselling/referrals", counselling_api.ReferralViewSet, basename="counselling-referral")
router.register("indicators/values", indicators_api.ValueViewSet, basename="indicator-value")
router.register("field/devices", field_api.DeviceViewSet, basename="field-device")
router.register("field/visits", field_api.ScheduledVisitViewSet, basename="field-visit")
router.register("campaign-submissions", screening_api.CampaignSubmissionView, basename="campaign-submission")

urlpatterns = [
    path("auth/token/", accounts_api.obtain_token, name="api-token"),
    path("auth/logout/", accounts_api.logout, name="api-logout"),
    path("auth/tokens/", accounts_api.tokens, name="api-tokens"),
    path("auth/tokens/<pk>/revoke/", accounts_api.revoke_token, name="api-token-revoke"),
    path("auth/password/", accounts_api.change_password, name="api-password"),
    path("me/", accounts_api.me, name="api-me"),
    path("field/pack/", field_api.PackView.as_view(), name="api-field-pack"),
    path("field/sync/", field_api.SyncView.as_view(), name="api-field-sync"),
    path("field/instruments/", field_api.InstrumentsView.as_view(), name="api-field-instruments"),
    path("exchange/orders/", governance_api.ExchangeOrdersView.as_view(), name="api-exchange-orders"),
    path("exchange/orders/<str:sender_id>/", governance_api.ExchangeOrderView.as_view(), name="api-exchange-order"),
    *router.urls,
]
