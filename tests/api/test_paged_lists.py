"""Lists that page say so in the OpenAPI document, so that no list is capped without a word."""

from __future__ import annotations

from litestar import Litestar


def test_every_list_paged_by_offset_answers_a_page_with_its_total(app: Litestar) -> None:
    """A route that takes ``offset`` and ``limit`` but answers a bare array hides what lies
    past the limit: its caller cannot know there is more. Each must answer a page (items,
    total). The sync pull pages by an opaque cursor instead, and says ``has_more``."""
    doc = app.openapi_schema.to_schema()
    schemas = doc["components"]["schemas"]
    bare, checked = [], []
    for path, operations in doc["paths"].items():
        get = operations.get("get")
        if get is None or not {"offset", "limit"} <= {p["name"] for p in get.get("parameters", [])}:
            continue
        checked.append(path)
        schema = get["responses"]["200"]["content"]["application/json"]["schema"]
        if "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
        if not {"items", "total"} <= set(schema.get("required", [])):
            bare.append(path)
    assert bare == []
    assert {"/api/complaints", "/api/jobs", "/api/parts"} <= set(checked)
