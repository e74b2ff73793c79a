"""schemathesis against the service's own OpenAPI document: no 5xx, responses as documented, valid data accepted.

Bounded: a fixed number of examples per operation, no deadline per example, derandomized so CI is repeatable.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from summarizer import create_app

# What a request the document calls valid may get. 200, or one of the statuses the document cannot rule out:
# 413 (a JSON schema bounds characters, not the body's bytes), 422 (it cannot say which language a text is in)
# and 503 (whether a model is loaded or the queue is full is the server's state, not the request's).
# A job is queued (202); a job id the document cannot know exists may be unknown (404) or finished (409).
# Any 400 for such a request means the document and the validation disagree: a failure.
ACCEPTED = ["200", "202", "404", "409", "413", "422", "503"]
CONFIG = SchemathesisConfig.from_dict({"checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED}}})


@pytest.fixture(scope="module")
def api_schema(settings, pipeline):
    app = create_app(settings, pipeline=pipeline)
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=CONFIG)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_schema(case):
    response = case.call()
    assert response.status_code < 500, response.text  # models loaded, queue idle: a 503 here would be a bug too
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    # Our API must accept what its document calls valid. The LibreTranslate routes answer as LibreTranslate
    # does, where a text in a language it does not serve is a 400 that no schema can rule out.
    if case.path.startswith("/api/"):
        checks.append(positive_data_acceptance)
    case.validate_response(response, checks=checks)
