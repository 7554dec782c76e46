"""Statements compiled once per process (``dispatch.sql.CompiledQuery``, the ``__within`` lookup):
the rows they give are the ORM's own, for any list, and a list's values are parameters, never
text of the statement."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dispatch.models import Citizenship, Engineer, Tool
from dispatch.sql import CompiledQuery
from tests.factories import EngineerFactory, ToolFactory

pytestmark = pytest.mark.django_db

TOOL_COLUMNS = (
    "pk",
    "model",
    "classifications",
    "facility__name",
    "oem__name",
    "us_content_percent",
)


def _tools(ids):
    return Tool.objects.filter(pk__within=ids).order_by("model", "pk").values_list(*TOOL_COLUMNS)


@pytest.fixture
def tools():
    return [
        ToolFactory(model="NXT:2000i", classifications={"US": ["3B001.f"], "NL": ["3B001.f.4"]}),
        ToolFactory(model="NXT:1980i", classifications={}, us_content_percent=12.5),
        ToolFactory(model="Zoë's tool", classifications={"JP": ["第1項"]}),
    ]


def test_rows_are_the_orms_for_any_list(tools):
    compiled = CompiledQuery(_tools)
    ids = [t.pk for t in tools]
    for chosen in (ids, ids[:1], ids[1:], [ids[2], ids[0], ids[2]], []):
        expected = list(
            Tool.objects.filter(pk__in=chosen).order_by("model", "pk").values_list(*TOOL_COLUMNS)
        )
        assert compiled.rows(chosen) == expected
    # JSON decoded, the joins followed, as the ORM gives them.
    rows = {r[0]: r for r in compiled.rows(ids)}
    assert rows[tools[0].pk][2] == {"US": ["3B001.f"], "NL": ["3B001.f.4"]}
    assert rows[tools[1].pk][5] == 12.5
    assert rows[tools[2].pk][3] == tools[2].facility.name


def test_dates_and_datetimes_are_converted_as_the_orm_converts_them():
    engineer = EngineerFactory(
        date_of_birth=dt.date(1980, 2, 29), citizenships=[("NL", dt.date(2001, 5, 1)), "DE"]
    )
    compiled = CompiledQuery(
        lambda ids: (
            Citizenship.objects.filter(engineer_id__within=ids)
            .order_by("country")
            .values_list("engineer_id", "country", "since", "engineer__date_of_birth")
        )
    )
    assert compiled.rows([engineer.pk]) == [
        (engineer.pk, "DE", None, dt.date(1980, 2, 29)),
        (engineer.pk, "NL", dt.date(2001, 5, 1), dt.date(1980, 2, 29)),
    ]
    stamps = CompiledQuery(
        lambda ids: Engineer.objects.filter(pk__within=ids).values_list("created_at", "updated_at")
    )
    ((created, updated),) = stamps.rows([engineer.pk])
    assert (created, updated) == (engineer.created_at, engineer.updated_at)
    assert isinstance(created, dt.datetime) and created.tzinfo is not None


def test_compiled_once_then_one_statement_a_call(tools):
    calls = []

    def build(ids):
        calls.append(ids)
        return _tools(ids)

    compiled = CompiledQuery(build)
    for tool in tools:
        with CaptureQueriesContext(connection) as queries:
            assert [r[0] for r in compiled.rows([tool.pk])] == [tool.pk]
        assert len(queries) == 1
    assert len(calls) == 1
    # The statement's text does not depend on the list: one text for lists of any length.
    with CaptureQueriesContext(connection) as queries:
        compiled.rows([tools[0].pk])
        compiled.rows([t.pk for t in tools] * 50)
    first, second = (q["sql"] for q in queries.captured_queries)
    if connection.vendor == "postgresql":
        assert first.split(" WHERE ")[0] == second.split(" WHERE ")[0]
    else:
        assert first.split("json_each")[0] == second.split("json_each")[0]


def test_ids_no_row_can_have_match_nothing(tools):
    compiled = CompiledQuery(_tools)
    assert compiled.rows([2**63, -(2**63) - 1, 2**70]) == []
    assert [r[0] for r in compiled.rows([tools[0].pk, 2**64])] == [tools[0].pk]
    # The lookup in a plain queryset answers as __in does.
    assert list(
        Tool.objects.filter(pk__within=[tools[1].pk, 2**70]).values_list("pk", flat=True)
    ) == [tools[1].pk]
    assert not Tool.objects.filter(pk__within=[]).exists()


def test_strings_are_parameters_never_statement_text(tools):
    names = CompiledQuery(
        lambda models: Tool.objects.filter(model__within=models).order_by("pk").values_list("pk")
    )
    hostile = ["x') OR 1=1 --", "'; DELETE FROM dispatch_tool; --", 'a"b', "Zoë's tool"]
    assert names.rows(hostile) == [(tools[2].pk,)]
    assert Tool.objects.count() == 3


def test_a_build_without_exactly_one_list_is_refused():
    none = CompiledQuery(lambda ids: Tool.objects.values_list("pk"))
    with pytest.raises(ValueError, match="one list of values"):
        none.rows([1])
    two = CompiledQuery(
        lambda ids: Tool.objects.filter(pk__within=ids, oem_id__within=ids).values_list("pk")
    )
    with pytest.raises(ValueError, match="found 2"):
        two.rows([1])
