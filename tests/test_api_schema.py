"""The automation API against its own OpenAPI document (SPEC §12), with schemathesis: generated
requests over real HTTP to a real proxy's --api-port, every answer checked against the document
(status codes, content types, response schemas, no 5xx). The document is the one the proxy
serves at /v1/openapi.json (a test below holds the two equal)."""

from __future__ import annotations

import json
import urllib.request

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from playhead.api.openapi import document
from playhead.checklists import load_checklists
from playhead.simulate import SCENARIOS, Player
from support_proxy import API_HOST, running_proxy

pytestmark = pytest.mark.slow

DOCUMENT = document(list(load_checklists()))  # what a proxy without --checklists serves
schema = schemathesis.openapi.from_dict(DOCUMENT)


@pytest.fixture(scope="module")
def api_url(tmp_path_factory):
    with running_proxy(tmp_path_factory.mktemp("conf"), sink=True, api_port=0) as runner:
        host, port = runner.listen_address
        for name in ("vod-clean", "ad-outside-break"):  # sessions and findings to answer about
            Player(f"http://{API_HOST}", proxy=f"{host}:{port}", speed=0).play(SCENARIOS[name])
        api_host, api_port = runner.api_address
        yield f"http://{api_host}:{api_port}"


def test_the_served_document_is_the_one_tested(api_url):
    with urllib.request.urlopen(f"{api_url}/v1/openapi.json", timeout=10) as answer:
        assert json.load(answer) == json.loads(json.dumps(DOCUMENT))


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_openapi_document(case, api_url):
    excluded = []
    if case.path == "/v1/wait":  # a valid request waits as long as it asks: keep it short
        excluded.append(positive_data_acceptance)  # its documented 408 is a valid request's answer
        query = dict(case.query or {})
        if query.get("timeout") is None or 0 <= _number(query["timeout"]) <= 300:
            query["timeout"] = 0.2
        case.query = query
    case.call_and_validate(base_url=api_url, timeout=30, excluded_checks=excluded)


def _number(value) -> float:
    """A generated query value as the API reads it (-1 when it is not a number)."""
    try:
        return float(value) if not isinstance(value, bool) else -1
    except (TypeError, ValueError):
        return -1
