"""schemathesis against the service's own OpenAPI document: no 5xx, no response that breaks the schema.

Bounded: a fixed number of examples per operation, no deadline per example, derandomized so CI is repeatable.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from summarizer import create_app


@pytest.fixture(scope="module")
def api_schema(settings, pipeline):
    app = create_app(settings, pipeline=pipeline)
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


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
    assert response.status_code < 500, response.text
    # The schema cannot say everything we refuse (an empty text, a language we do not serve), so a schema-valid
    # request may be refused with a documented 4xx: check for server errors and conformance of every response.
    case.validate_response(
        response,
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
    )
