"""Pages that read several domains (the staff home dashboard), above every domain app in the layers contract
(pyproject.toml ``[tool.importlinter]``, docs/architecture.md "Layers"). Not a Django app: no models."""
