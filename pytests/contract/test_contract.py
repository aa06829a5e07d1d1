"""The API contract (issue #13, item 14): the OpenAPI document the bridge serves at `/openapi.json` says everything the
bridge enforces, and the bridge answers only what the document says.

Schemathesis fuzzes every operation of the document — the admin API with a full-scope API token, the OA API
(`/api/v1`) with an OA key, the public pages without credentials — from the document alone: boundary values of every
declared rule (lengths, patterns, formats, ranges, enums; the coverage phase), values that break them (negative data),
methods the document does not declare, and random valid data. Any answer fails the test when it is a 5xx, has a status,
content type, header or body the document does not declare for it, refuses data the document allows (any 4xx but
401, 403, 404 and 409: those depend on what exists, not on the data), accepts data the document forbids, takes longer
than `SLOW` seconds, or answers an undeclared method otherwise than 405 with `Allow`.

Deterministic: Hypothesis derandomized, no example database; `CONTRACT_EXAMPLES` sets the random examples per
operation (default 10). `CONTRACT_SURVEY=FILE` lists every mismatch in FILE (JSON lines) instead of failing at the
first of each operation. The suite prints its time (collecting, running; `CONTRACT_TIMES=FILE` keeps it): about a
minute on 2 cores, most of it the calls.
"""

from __future__ import annotations

import copy
import json
import os
import time
from functools import cache
from typing import TYPE_CHECKING, Any

import hypothesis
import jsonschema
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import DataGenerationMethod
from schemathesis.checks import not_a_server_error
from schemathesis.generation import coverage
from schemathesis.internal.checks import CheckConfig, CheckContext
from schemathesis.specs.openapi import checks as openapi_checks
from schemathesis.types import NotSet

from yunqiao_process import ROOT

if TYPE_CHECKING:
    from conftest import Bridge

DOCUMENT = ROOT / "Sources" / "YunqiaoServer" / "Resources" / "openapi.json"
EXAMPLES = int(os.environ.get("CONTRACT_EXAMPLES", "10"))
SLOW = 5.0  # seconds: no answer of the bridge takes longer, whatever it is sent
TIMEOUT = 30.0

# The boundary values of every declared rule, and the undeclared methods (experimental in schemathesis 3).
schemathesis.experimental.COVERAGE_PHASE.enable()
# The document is OpenAPI 3.1 (JSON Schema 2020-12: `type: [string, null]`), opt-in in schemathesis 3.
schemathesis.experimental.OPEN_API_3_1.enable()

LARGE_ARRAY = 100  # items: from here on, the coverage phase's boundary arrays are built, not drawn (see `large_array`)


def large_array(context: coverage.CoverageContext, schema: dict[str, Any] | bool) -> list[str] | None:
    """A boundary array of `minItems` strings (a message's 1 000 recipients, and 999 and 1 001), built from one item
    as schemathesis draws it plus `0`, `1`, `2`…; None unless that is valid for `schema` (then it is drawn as before).

    Hypothesis cannot draw so many items within its buffer: the coverage phase tried for 3 minutes per array, at
    collection, then gave up (`Unsatisfiable`), which also ended the rest of the body's boundary values. Built, those
    arrays and the values after them are sent too."""
    if not isinstance(schema, dict) or schema.get("type") != "array" or not isinstance(schema.get("items"), dict):
        return None
    size = schema.get("minItems", 0)
    if size < LARGE_ARRAY:
        return None
    first = context.generate_from_schema(schema["items"])
    if not isinstance(first, str):
        return None
    values = [first, *(f"{first}{index}" for index in range(1, size))]
    return values if validator(schema).is_valid(values) else None


def generate_from_schema(context: coverage.CoverageContext, schema: dict[str, Any] | bool) -> Any:
    built = large_array(context, schema)
    return built if built is not None else DRAW_FROM_SCHEMA(context, schema)


DRAW_FROM_SCHEMA = coverage.CoverageContext.generate_from_schema
coverage.CoverageContext.generate_from_schema = generate_from_schema  # type: ignore[method-assign]


@schemathesis.serializer("text/csv")
class CSVBody:
    """A CSV file body is sent as the text it is (UTF-8); what is not text (negative data) as its JSON."""

    def as_requests(self, context: Any, value: Any) -> dict[str, Any]:
        if isinstance(value, bytes):
            return {"data": value}
        return {"data": (value if isinstance(value, str) else json.dumps(value)).encode()}

    def as_werkzeug(self, context: Any, value: Any) -> dict[str, Any]:
        return self.as_requests(context, value)


@schemathesis.serializer("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
class XLSXBody(CSVBody):
    """An XLSX file body: the fuzzer's bytes as they are."""


def fuzzed_document() -> dict[str, Any]:
    """The document without its security requirements: the fuzzer sends the credentials itself (see `credentials`).
    Left in, schemathesis would make every scheme of every alternative a required parameter — a bearer token *and*
    a session cookie *and* a CSRF header — and count a call that leaves out the CSRF header yet succeeds with the
    bearer token as accepted bad data. `test_every_operation_refuses_callers_without_credentials` covers them."""
    document = copy.deepcopy(json.loads(DOCUMENT.read_text()))
    document.pop("security", None)
    for item in document["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict):
                operation.pop("security", None)
    return document


@cache
def security(method: str, path: str) -> list[dict[str, list]]:
    document = json.loads(DOCUMENT.read_text())
    return document["paths"][path][method].get("security", document.get("security", []))


schema = schemathesis.from_dict(fuzzed_document(), data_generation_methods=[DataGenerationMethod.positive,
                                                                             DataGenerationMethod.negative])

# Refusing data the document allows is a mismatch; these answers depend on what exists, not on the data (and a
# form's 303 is its success).
POSITIVE = CheckConfig()
POSITIVE.positive_data_acceptance.allowed_statuses = ["2xx", "3xx", "401", "403", "404", "409"]
# Accepting data the document forbids is a mismatch; refusing it for what exists (401, 403, 404) is not accepting it.
NEGATIVE = CheckConfig()
NEGATIVE.negative_data_rejection.allowed_statuses = ["400", "401", "403", "404", "413"]

CHECKS = (
    not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.unsupported_method,
)


def credentials(bridge: Bridge, method: str, path: str) -> dict[str, Any]:
    """What the operation's `security` asks for: an OA key for the OA API, a console session with its CSRF token for
    the operations only a session may call (creating tokens), an API token for the rest of the admin API, nothing for
    the public pages."""
    schemes = {name for requirement in security(method, path) for name in requirement}
    if "oaKey" in schemes:
        return {"headers": {"Authorization": f"Bearer {bridge.oa_key}"}}
    if "bearerToken" in schemes:
        return {"headers": {"Authorization": f"Bearer {bridge.token}"}}
    if "sessionCookie" in schemes:
        return {"headers": {"X-CSRF-Token": bridge.csrf}, "cookies": {"yq_session": bridge.session}}
    return {}


def own_credential(bridge: Bridge, case: schemathesis.Case) -> bool:
    """Revoking the API token or the OA key the fuzzer calls with would end the run: those two ids are left alone
    (the fuzzer revokes any other token and key it finds, including the ones it makes)."""
    if case.method.upper() != "DELETE" or not isinstance(case.path_parameters, dict):
        return False
    own = {"/api/admin/v1/tokens/{id}": bridge.token_id, "/api/admin/v1/oa-keys/{id}": bridge.oa_key_id}.get(case.path)
    return own is not None and str(case.path_parameters.get("id")) == str(own)


# Refusals of valid-looking data that depend on what exists or on a file's content, which no JSON Schema can say: the
# document says them in words. (operation, field) — the field as `error.field` names it, up to its first `.` or `[`.
STATE_DEPENDENT = {
    ("POST /api/admin/v1/push-rules", "source"): "a registered module's key (or `*`)",
    ("PUT /api/admin/v1/push-rules/{id}", "source"): "a registered module's key (or `*`)",
    ("POST /api/admin/v1/push-rules", "targets"): "apps of the tenant's enterprises, one target per app",
    ("PUT /api/admin/v1/push-rules/{id}", "targets"): "apps of the tenant's enterprises, one target per app",
    ("POST /api/admin/v1/enterprises/{id}/apps", "homepageAppId"): "with `oaApp`: an OA homepage app of the tenant",
    ("PUT /api/admin/v1/apps/{id}", "homepageAppId"): "with `oaApp`: an OA homepage app of the tenant",
    ("POST /api/admin/v1/enterprises/{id}/apps", "homepageURL"): "required with `custom`",
    ("PUT /api/admin/v1/apps/{id}", "homepageURL"): "required with `custom`",
    ("POST /api/admin/v1/enterprises/{id}/apps", "appSecret"): "required when adding",
    ("POST /api/admin/v1/enterprises/{id}/bindings", "oaUserID"): "an active OA user of the directory",
    ("POST /api/admin/v1/enterprises/{id}/bindings", "unionID"): "a Feishu user of the enterprise",
    ("POST /api/admin/v1/enterprises/{id}/bindings/unbind-all", "confirm"): "the enterprise's name",
    ("POST /api/admin/v1/push-rules/{id}/targets/{target}/test-send", "oaUserID"): "an OA user bound in the target's enterprise",
    ("POST /api/admin/v1/oa-directory/import", "file"): "the file's rows (columns, references, duplicates)",
    ("POST /api/admin/v1/enterprises/{id}/binding-sheet", "file"): "the file's rows and columns",
    ("POST /api/v1/directory", "departments"): "the items (columns, references, duplicates)",
    ("POST /api/v1/directory", "users"): "the items (columns, references, duplicates)",
    ("POST /api/v1/messages", "source"): "a registered module's key",
    ("PATCH /api/v1/todos/{id}", "source"): "the module the todo was sent under",
    ("PUT /api/admin/v1/oa-connector", "secret"): "required the first time",
    ("PUT /api/admin/v1/oa-modules/{id}", "key"): "the stored key: it cannot change",
    ("POST /api/admin/v1/oa-directory/import", "format"): "with application/octet-stream, `format` says the file's format",
    ("POST /api/admin/v1/enterprises/{id}/binding-sheet", "format"): "with application/octet-stream, `format` says it",
    ("POST /api/v1/messages", "links"): "a todo needs a PC or a mobile link",
    ("POST /api/v1/apps/{id}/jsapi-signature", "url"): "a URL whose host parses, without a user name or password",
    ("POST /api/v1/apps/{id}/jsapi-signature", "timestamp"): "within 10 minutes of the bridge's clock",
    ("PUT /api/admin/v1/enterprises/{id}/oa-to-feishu/settings", "topDepartmentID"): "a Feishu department of the mirror",
    ("PUT /api/admin/v1/enterprises/{id}/sync-schedules/{direction}", "timeZone"): "a zone of the server's time-zone database",
    ("PUT /api/admin/v1/enterprises/{id}/sync-schedules/{direction}", "cron"):
        "a cron expression that fires, never twice within 5 minutes; exactly one of everyMinutes and cron (a `oneOf` the "
        "fuzzer's boundary cases leave out)",
    ("PUT /api/admin/v1/qr-login", "appIds"): "apps of the tenant's enterprises, one per enterprise; at least one when enabled",
    ("POST /api/admin/v1/oidc-clients", "appId"): "an app of the tenant's enterprises",
    ("PUT /api/admin/v1/oidc-clients/{id}", "appId"): "an app of the tenant's enterprises",
    ("POST /api/admin/v1/oidc-clients", "redirectURIs"): "a URL whose host parses, without a user name or password",
    ("PUT /api/admin/v1/oidc-clients/{id}", "redirectURIs"): "a URL whose host parses, without a user name or password",
    ("POST /api/admin/v1/oidc-clients", "postLogoutRedirectURIs"): "a URL whose host parses, without a user name or password",
    ("PUT /api/admin/v1/oidc-clients/{id}", "postLogoutRedirectURIs"): "a URL whose host parses, without a user name or password",
    ("PUT /api/admin/v1/oa-modules/{id}/approval-center", "pcURL"): "required (or `mobileURL`) unless `channel` is `card`",
}


# Rules that no JSON Schema keyword can say, which the document says in words: (operation, field, the refusal's
# message) — only that refusal of that field is not counted as refusing valid data.
IN_WORDS = {
    ("PUT /api/admin/v1/oa-users/{oaID}/password", "password", "at most 72 bytes (bcrypt reads no more)"):
        "`maxLength` counts characters; 72 characters outside ASCII are more than 72 bytes of UTF-8",
}


def state_dependent(case: schemathesis.Case, response: requests.Response) -> bool:
    """Whether a 400 refuses a value for what exists or for a rule said in words (`STATE_DEPENDENT`, `IN_WORDS`)."""
    if response.status_code != 400:
        return False
    try:
        error = response.json().get("error") or {}
    except ValueError:
        return False
    field, message = error.get("field") or "", error.get("message") or ""
    operation = f"{case.method.upper()} {case.path}"
    root = field.split(".")[0].split("[")[0]
    return (operation, root) in STATE_DEPENDENT or (operation, field, message) in IN_WORDS


def negated(case: schemathesis.Case) -> bool:
    """Whether the case breaks the document in a way the bridge can see. Not so: a query parameter of another JSON
    type (a query string has only text: schemathesis sends `{}` as an empty or absent value), a query parameter given
    twice or one the document does not name (ignored, as HTTP APIs do), random data that breaks only the query, or
    "random negative data" that sends no body at all (`POST /logout`: its optional form can only be negated by types,
    which a form does not have)."""
    meta = case.meta
    if case.data_generation_method != DataGenerationMethod.negative or meta is None:
        return False
    description = meta.description or ""
    if description.startswith(("Duplicate `", "Unspecified HTTP method")) or "unexpected properties" in description:
        return False
    if meta.phase.value == "coverage" or description:
        text_only = meta.parameter_location == "query" or case.media_type == "application/x-www-form-urlencoded"
        if text_only and "Incorrect type" in description:
            return False
        return not valid_after_all(case)
    # Random data: only a broken body counts.
    return meta.body == DataGenerationMethod.negative and not isinstance(case.body, NotSet) and not valid_after_all(case)


def valid_after_all(case: schemathesis.Case) -> bool:
    """Whether the "negative" case is valid for the document after all, as the bridge receives it. Schemathesis 3
    negates `anyOf` and `type: [x, null]` loosely (`""` for a URL that may be empty, a date for a date or a date-time:
    the audit's `since`), and a form or a query string has only text."""
    meta = case.meta
    if meta is not None and meta.parameter_location == "query":
        return valid_query(case)
    if isinstance(case.body, NotSet) or case.media_type not in ("application/json", "application/x-www-form-urlencoded"):
        return False
    schema = case.operation.get_resolved_payload_schema(case.media_type)
    if schema is None:
        return False
    if case.media_type == "application/x-www-form-urlencoded":
        form = as_form(case.body)
        return form is not None and validator(schema).is_valid(form)
    return validator(schema).is_valid(case.body)


def valid_query(case: schemathesis.Case) -> bool:
    """Whether every query parameter, as its text, is valid for its schema (a number read from the text) and every
    required one is there. An empty value is no value: the bridge reads `?since=` as no `since`."""
    query = case.query if isinstance(case.query, dict) else {}
    for parameter in case.operation.query:
        value = query.get(parameter.name)
        if value is None or value == "":
            if parameter.is_required:
                return False
            continue
        if not isinstance(value, str):
            return False
        schema = parameter.definition.get("schema", {})
        if not any(validator(schema).is_valid(candidate) for candidate in (value, *integer(value))):
            return False
    return True


def as_form(body: Any) -> dict[str, str] | None:
    """A form body as the bridge reads it: each field's text (requests writes a number as its digits, `True` as
    `True`, leaves out `None`); None when it is not a flat form."""
    if not isinstance(body, dict):
        return None
    form: dict[str, str] = {}
    for name, value in body.items():
        if value is None:
            continue
        if isinstance(value, (dict, list)):
            return None
        form[str(name)] = value if isinstance(value, str) else str(value)
    return form


def validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def integer(text: str) -> tuple[int, ...]:
    try:
        return (int(text),)
    except ValueError:
        return ()


def check(case: schemathesis.Case, response: requests.Response, elapsed: float) -> None:
    case.validate_response(response, checks=CHECKS)
    if case.data_generation_method == DataGenerationMethod.positive and not state_dependent(case, response):
        openapi_checks.positive_data_acceptance(CheckContext(override=None, auth=None, headers=None, config=POSITIVE),
                                                response, case)
    elif negated(case):
        openapi_checks.negative_data_rejection(CheckContext(override=None, auth=None, headers=None, config=NEGATIVE),
                                               response, case)
    assert elapsed <= SLOW, f"{case.method} {case.formatted_path}: {elapsed:.1f} s (at most {SLOW:.0f} s)"


def empty_path_parameter(case: schemathesis.Case) -> bool:
    """`/enterprises/{id}` with an empty id is the request `/enterprises/`: another operation (HTTP routers read it as
    `/enterprises`), about which the case's operation says nothing."""
    return any(value in ("", None) for value in (case.path_parameters or {}).values())


@schema.parametrize()
@hypothesis.settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None, print_blob=False,
                     phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
def test_operation(case: schemathesis.Case, bridge: Bridge) -> None:
    if own_credential(bridge, case) or empty_path_parameter(case):
        return
    started = time.monotonic()
    response = case.call(base_url=bridge.base, timeout=TIMEOUT, allow_redirects=False,
                         **credentials(bridge, case.operation.method.lower(), case.path))
    try:
        check(case, response, time.monotonic() - started)
    except AssertionError as failure:
        if SURVEY:
            record(case, response, failure)
        elif not known(case):
            raise


# Mismatches found and not yet fixed, as (operation, "positive" | "negative") → why (each one an open item, not a
# rule): the suite reports any other. None are open.
KNOWN: dict[tuple[str, str], str] = {}


def known(case: schemathesis.Case) -> bool:
    kind = case.data_generation_method.name if case.data_generation_method else ""
    return (f"{case.operation.method.upper()} {case.path}", kind) in KNOWN


SURVEY = os.environ.get("CONTRACT_SURVEY")


def record(case: schemathesis.Case, response: requests.Response, failure: AssertionError) -> None:
    """One mismatch as a line of the survey file: the operation, what was sent, what came back and the failed checks."""
    titles = [line.strip()[3:] for line in str(failure).splitlines() if line[:3].strip().rstrip(".").isdigit()]
    entry = {"operation": f"{case.operation.method.upper()} {case.path}", "method": case.method,
             "kind": str(case.data_generation_method.name if case.data_generation_method else ""),
             "description": case.meta.description if case.meta else None, "status": response.status_code,
             "checks": titles or [str(failure).splitlines()[0]], "query": case.query, "path": case.path_parameters,
             "body": case.body if isinstance(case.body, (dict, list, str, int, float, bool, type(None))) else repr(case.body),
             "answer": response.text[:300]}
    with open(SURVEY, "a") as file:
        file.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")


def test_the_served_document_is_the_one_fuzzed(bridge: Bridge) -> None:
    served = requests.get(f"{bridge.base}/openapi.json", timeout=10)
    assert served.status_code == 200
    assert served.json() == json.loads(DOCUMENT.read_text())


@pytest.mark.parametrize("method,path", [(method, path) for path, item in json.loads(DOCUMENT.read_text())["paths"].items()
                                         for method, operation in item.items() if method in {"get", "put", "post", "patch", "delete"}
                                         and security(method, path) and "401" in operation["responses"]])
def test_every_operation_refuses_callers_without_credentials(method: str, path: str, bridge: Bridge) -> None:
    """No credentials, or a wrong bearer token: 401 as the document says, before anything else is looked at. (Signing
    out, `POST /logout`, takes whatever session there is: it has no 401.)"""
    operation = schema[path][method.upper()]
    parameters = {parameter.name: "1" for parameter in operation.path_parameters}
    for headers in ({}, {"Authorization": "Bearer yq_not-a-token"}):
        case = operation.make_case(path_parameters=parameters)
        response = case.call(base_url=bridge.base, headers=headers, timeout=TIMEOUT, allow_redirects=False)
        assert response.status_code == 401, f"{method.upper()} {path} with {headers or 'no credentials'}: {response.status_code}"
        case.validate_response(response, checks=CHECKS)
