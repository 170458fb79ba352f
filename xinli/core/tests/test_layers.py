"""The import layers contract (pyproject.toml ``[tool.importlinter]``, docs/architecture.md "Layers") holds: no app
imports from a layer above its own — the access policy is in core, multi-domain pages are in xinli/web."""

from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[3]


def test_no_module_imports_from_a_higher_layer():
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml")) == 0


def test_the_access_policy_and_the_home_page_sit_where_the_layers_put_them():
    from xinli.core import policy, scoping
    from xinli.web import views

    assert scoping.role_grants is policy.role_grants  # imported at module level, not inside the function
    assert views.home.__module__ == "xinli.web.views"
