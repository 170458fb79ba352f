import pytest

from xinli.testing.fixtures import login_verified

pytestmark = pytest.mark.django_db


def test_openapi_schema_lists_every_endpoint(client, personas):
    login_verified(client, personas.county_officer)
    r = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    for path in ("/api/v1/persons/", "/api/v1/persons/{id}/", "/api/v1/org-units/{id}/children/",
                 "/api/v1/consents/{id}/withdraw/", "/api/v1/auth/token/"):
        assert path in paths, path


def test_docs_ui_is_served_offline_without_inline_scripts(client, personas):
    login_verified(client, personas.county_officer)
    html = client.get("/api/docs/").content.decode()
    assert "http://" not in html.replace("http://testserver", "") and "https://" not in html
    assert "swagger-ui" in html
    assert "<script>" not in html  # the split view loads its init script from our own origin, so CSP holds


def test_no_two_serializers_share_a_schema_component_name():
    """Two serializers with one component name make drf-spectacular document one of them wrongly."""
    import warnings

    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        SchemaGenerator().get_schema(request=None, public=True)
    clashes = [w for w in GENERATOR_STATS._warn_cache if "identical names" in w]
    assert not clashes, clashes
