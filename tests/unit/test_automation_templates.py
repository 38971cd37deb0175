"""Automation action templates: rendered in the sandbox, bounded, and clear about what fails."""

from __future__ import annotations

import pytest

from models.automations.template_context import TemplateResource, template_event
from models.automations.templates import (
    TemplateFailure,
    check_template,
    names_in_template,
    render_template,
)

LIMIT = 65_536
CONTEXT = {
    "flow": {"name": "etl-nightly"},
    "flow_run": {"name": "aquatic-cockatoo", "state": {"name": "Failed"}, "tags": ["a", "b"]},
    "deployment": None,
}


def render(text: str, max_bytes: int = LIMIT) -> str:
    return render_template(text, CONTEXT, max_bytes=max_bytes)


def test_a_template_renders_the_objects_it_names() -> None:
    body = (
        "{{ flow.name }}/{{ flow_run.name }} is {{ flow_run.state.name }}"
        " ({{ flow_run.tags|join(',') }})"
    )
    assert render(body) == "etl-nightly/aquatic-cockatoo is Failed (a,b)"


def test_plain_text_is_sent_as_it_is() -> None:
    assert render("Flow failed: see the UI") == "Flow failed: see the UI"


@pytest.mark.parametrize(
    "escape",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ lipsum.__globals__['os'] }}",
        "{{ flow.__class__ }}",
        "{{ flow_run.tags.append('x') }}",
        "{{ flow_run.update({'name': 'x'}) }}",
    ],
)
def test_a_template_that_reaches_for_python_internals_fails_and_shows_nothing_of_them(
    escape: str,
) -> None:
    with pytest.raises(TemplateFailure) as failure:
        render(escape)
    reason = str(failure.value)
    assert "not allowed in a template" in reason or "unknown name" in reason
    assert "<class" not in reason and "__builtins__" not in reason


def test_an_unknown_name_is_an_error_naming_it() -> None:
    with pytest.raises(TemplateFailure, match="unknown name in template: 'flw' is undefined"):
        render("{{ flw.name }}")


def test_an_unknown_attribute_is_an_error_naming_it() -> None:
    with pytest.raises(TemplateFailure, match="has no attribute 'nme'"):
        render("{{ flow_run.nme }}")


def test_an_object_the_event_is_not_about_is_an_error_when_read() -> None:
    with pytest.raises(TemplateFailure, match="unknown name"):
        render("{{ deployment.name }}")


def test_output_larger_than_the_bound_fails() -> None:
    loop = (
        "{% for i in range(100) %}{% for j in range(100) %}{{ 'x' * 10 }}{% endfor %}{% endfor %}"
    )
    assert len(render(loop, max_bytes=200_000)) == 100_000
    with pytest.raises(TemplateFailure, match="longer than 65536 bytes"):
        render(loop)


def test_plain_text_larger_than_the_bound_fails() -> None:
    with pytest.raises(TemplateFailure, match="longer than 10 bytes"):
        render("x" * 11, max_bytes=10)


def test_huge_values_and_ranges_are_refused_before_they_are_built() -> None:
    with pytest.raises(TemplateFailure, match="not allowed"):
        render("{{ ('x' * 1000000000)|length }}")
    with pytest.raises(TemplateFailure, match="range"):
        render("{% for i in range(1000000) %}{% endfor %}")
    with pytest.raises(TemplateFailure, match="exponents"):
        render("{{ 10 ** 100000 }}")


def test_check_template_refuses_bad_syntax_with_the_line() -> None:
    with pytest.raises(ValueError, match="line 2"):
        check_template("fine\n{{ flow_run.name ")
    check_template("{{ flow_run.name }} {% if event %}yes{% endif %}")


def test_check_template_refuses_too_many_or_too_deep_loops() -> None:
    deep = "{% for a in x %}{% for b in a %}{% for c in b %}{% endfor %}{% endfor %}{% endfor %}"
    with pytest.raises(ValueError, match="nest"):
        check_template(deep)
    with pytest.raises(ValueError, match="at most 10"):
        check_template("{% for a in x %}{% endfor %}" * 11)


def test_names_in_template_lists_the_objects_read_and_not_the_others() -> None:
    names = names_in_template(
        "{{ flow_run.name }} {% for r in event.related %}{{ r.id }}{% endfor %}"
    )
    assert {"flow_run", "event"} <= names
    assert "deployment" not in names and "flow" not in names


def test_event_resources_know_their_id_name_and_role() -> None:
    event = template_event(
        {
            "id": "1",
            "event": "prefect.flow-run.Failed",
            "resource": {
                "prefect.resource.id": "prefect.flow-run.abc",
                "prefect.resource.name": "r",
            },
            "related": [{"prefect.resource.id": "prefect.flow.f", "prefect.resource.role": "flow"}],
        }
    )
    assert isinstance(event, dict) and isinstance(event["resource"], TemplateResource)
    text = (
        "{{ event.event }} {{ event.resource.id }} {{ event.resource.name }}"
        " {{ event.related[0].role }}"
    )
    assert render_template(text, {"event": event}, max_bytes=LIMIT) == (
        "prefect.flow-run.Failed prefect.flow-run.abc r flow"
    )
