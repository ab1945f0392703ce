"""The OpenAPI description is served, covers the chat-tool endpoints and matches real responses."""

from __future__ import annotations

import pytest

ALL = {"客户称呼": "王女士", "新规格": "M码"}
TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


class SchemaError(AssertionError):
    """A response does not match its schema."""


def _type_ok(value, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, TYPES[name])


def validate(value, schema: dict, spec: dict, path: str = "$") -> None:
    """A small JSON Schema (2020-12 subset) check: the keywords the spec uses, nothing more."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return validate(value, spec["components"]["schemas"][name], spec, path)
    for sub in schema.get("allOf", []):
        validate(value, sub, spec, path)
    if "oneOf" in schema:
        passed = sum(_passes(value, sub, spec) for sub in schema["oneOf"])
        if passed != 1:
            raise SchemaError(f"{path}: matches {passed} of oneOf")
    if "anyOf" in schema and not any(_passes(value, sub, spec) for sub in schema["anyOf"]):
        raise SchemaError(f"{path}: matches none of anyOf")
    types = schema.get("type")
    if types and not any(_type_ok(value, t) for t in ([types] if isinstance(types, str) else types)):
        raise SchemaError(f"{path}: {value!r} is not {types}")
    if "enum" in schema and value not in schema["enum"]:
        raise SchemaError(f"{path}: {value!r} not in {schema['enum']}")
    if isinstance(value, dict):
        _validate_object(value, schema, spec, path)
    if isinstance(value, list) and "items" in schema:
        for n, item in enumerate(value):
            validate(item, schema["items"], spec, f"{path}[{n}]")
    if isinstance(value, int | float) and "minimum" in schema and value < schema["minimum"]:
        raise SchemaError(f"{path}: {value} < {schema['minimum']}")


def _passes(value, schema: dict, spec: dict) -> bool:
    try:
        validate(value, schema, spec)
    except SchemaError:
        return False
    return True


def _validate_object(value: dict, schema: dict, spec: dict, path: str) -> None:
    for key in schema.get("required", []):
        if key not in value:
            raise SchemaError(f"{path}: missing {key}")
    props = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        if "propertyNames" in schema:
            validate(key, schema["propertyNames"], spec, f"{path}.<{key}>")
        if key in props:
            validate(item, props[key], spec, f"{path}.{key}")
        elif extra is False:
            raise SchemaError(f"{path}: unexpected {key}")
        elif isinstance(extra, dict):
            validate(item, extra, spec, f"{path}.{key}")


def conforms(spec: dict, path: str, method: str, resp) -> None:
    """Validate a real response against the spec's schema for its path, method and status."""
    responses = spec["paths"][path][method]["responses"]
    entry = responses.get(str(resp.status_code)) or responses.get(f"{str(resp.status_code)[0]}XX")
    assert entry is not None, f"{method.upper()} {path} {resp.status_code} is not described"
    if "content" in entry:
        validate(resp.json, entry["content"]["application/json"]["schema"], spec)


@pytest.fixture(scope="module")
def spec(shared_app):
    resp = shared_app.test_client().get("/api/openapi.json")
    assert resp.status_code == 200
    return resp.json


def test_spec_is_openapi_31_and_covers_the_endpoints(spec):
    assert spec["openapi"].startswith("3.1")
    for path in ("/search", "/suggest", "/search/{log_id}/open", "/templates/{slug}",
                 "/templates/{slug}/render", "/check", "/items/{slug}", "/compose/copy", "/me/compositions"):
        assert path in spec["paths"], path
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert "UTF-16" in spec["info"]["description"]


def test_the_validator_catches_mismatches(spec):
    with pytest.raises(SchemaError):
        validate({"text": 1}, {"$ref": "#/components/schemas/Rendered"}, spec)
    with pytest.raises(SchemaError):
        validate({"error": "x", "missing": []}, {"$ref": "#/components/schemas/PlaceholderProblem"}, spec)
    with pytest.raises(SchemaError):
        validate({"missing": []}, {"anyOf": [{"$ref": "#/components/schemas/PlaceholderProblem"},
                                             {"$ref": "#/components/schemas/Error"}]}, spec)
    with pytest.raises(SchemaError):
        validate({"slug": "a", "title": "t", "category": "c", "text": "x", "placeholders": [],
                  "variants": {"短信": "x"}}, {"$ref": "#/components/schemas/Template"}, spec)


def test_real_responses_match_the_spec(spec, reader):
    """Every described endpoint, success and error shapes, from the running app."""
    search = reader.get("/api/search?q=钱啥时候退回来")
    conforms(spec, "/search", "get", search)
    conforms(spec, "/search", "get", reader.get("/api/search?q=。。"))
    conforms(spec, "/search", "get", reader.get("/api/search?q=退款&limit=x"))
    first = search.json["results"][0]["slug"]
    opened = reader.post(f"/api/search/{search.json['log_id']}/open", json={"slug": first, "rank": 1})
    conforms(spec, "/search/{log_id}/open", "post", opened)
    conforms(spec, "/suggest", "get", reader.get("/api/suggest?q=退"))
    tpl = "/api/templates/refund-notice-approved"
    conforms(spec, "/templates/{slug}", "get", reader.get(tpl))
    conforms(spec, "/templates/{slug}", "get", reader.get("/api/templates/nope"))
    render = "/api/templates/exchange-size/render"
    conforms(spec, "/templates/{slug}/render", "post", reader.post(render, json={"values": ALL}))
    conforms(spec, "/templates/{slug}/render", "post", reader.post(render, json={"values": {"x": "1"}}))
    conforms(spec, "/templates/{slug}/render", "post", reader.post(render, json={"values": ALL, "channel": "短信"}))
    conforms(spec, "/templates/{slug}/render", "post", reader.post(render, data="x"))
    copy = "/api/templates/exchange-size/copy"
    conforms(spec, "/templates/{slug}/copy", "post", reader.post(copy, json={"values": ALL}))
    fav = "/api/templates/exchange-size/favourite"
    conforms(spec, "/templates/{slug}/favourite", "put", reader.put(fav))
    conforms(spec, "/me/templates", "get", reader.get("/api/me/templates"))
    conforms(spec, "/templates/{slug}/favourite", "delete", reader.delete(fav))
    check = reader.post("/api/check", json={"text": "😀這個不歸 我管"})
    assert check.json["issues"]
    conforms(spec, "/check", "post", check)
    conforms(spec, "/check", "post", reader.post("/api/check", data={"text": "x"}))


def test_unauthenticated_error_matches_the_spec(spec, shared_app):
    resp = shared_app.test_client().get("/api/templates/exchange-size")
    assert resp.status_code == 401
    conforms(spec, "/templates/{slug}", "get", resp)


def test_item_api_matches_the_spec(spec, reader, shared_app):
    faq = reader.get("/api/items/refund-arrival-time")
    assert faq.status_code == 200, faq.json
    conforms(spec, "/items/{slug}", "get", faq)
    data = faq.json
    assert data["summary"] and data["markdown"] and "<" in data["html"] and data["revision"] >= 1
    assert data["verified_at"] is None and data["trust"]["label"].startswith("尚未复核")  # imports do not verify
    assert data["trust"]["stale"] is False and data["trust"]["review_due"]  # ... yet due one interval after
    tpl = reader.get("/api/items/exchange-size")
    conforms(spec, "/items/{slug}", "get", tpl)
    assert "{{客户称呼}}" in tpl.json["markdown"]
    policies = reader.get("/api/search?q=政策&type=policy").json["results"]
    policy = reader.get(f"/api/items/{policies[0]['slug']}")
    conforms(spec, "/items/{slug}", "get", policy)
    assert policy.json["effective_from"]
    conforms(spec, "/items/{slug}", "get", reader.get("/api/items/no-such-entry"))
    conforms(spec, "/items/{slug}", "get", shared_app.test_client().get("/api/items/refund-arrival-time"))
    with pytest.raises(SchemaError):
        validate(dict(data, images=[{"name": "x.svg"}]), {"$ref": "#/components/schemas/Entry"}, spec)


def test_compose_api_matches_the_spec(spec, reader):
    pieces = ["exchange-size", "refund-arrival-time"]
    conforms(spec, "/compose/copy", "post", reader.post("/api/compose/copy", json={"pieces": pieces, "values": ALL}))
    conforms(spec, "/compose/copy", "post", reader.post("/api/compose/copy", json={"pieces": pieces}))
    conforms(spec, "/compose/copy", "post", reader.post("/api/compose/copy", json={"pieces": ["nope"]}))
    conforms(spec, "/compose/copy", "post", reader.post("/api/compose/copy", data="x"))
    conforms(spec, "/me/compositions", "get", reader.get("/api/me/compositions"))
