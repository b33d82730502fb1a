"""The fault vocabulary is declared once (``simulator.core.SPECS``), and the two files that write it agree with it.

A scenario's ``faults`` (``simulator/scenario/schema.json``) and the control API's ``FaultSpec`` and ``Fault``
(``contracts/control.yaml``) are read from the files themselves, not from the code that loads them: the same
actions, the same parameters, and the same values accepted and refused at each parameter's limits. Durations are
written ISO 8601 here: the control API takes only those (JSON), scenarios human ones as well ('5 minutes').
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jsonschema_rs
import pytest
import yaml

from simulator.core import ACTIONS, SPECS, ActionSpec, Parameter, parse_fault
from simulator.errors import ConfigError
from simulator.openapi import Operation, load_contract

ROOT = Path(__file__).resolve().parents[2]
SCENARIO_SCHEMA = ROOT / "simulator" / "scenario" / "schema.json"
CONTROL = ROOT / "contracts" / "control.yaml"
POINT = "bank.repayApply"
WHEN = {"at", "from", "until", "probability"}
NOW = datetime(2019, 5, 1, tzinfo=ZoneInfo("Asia/Shanghai"))


@cache
def scenario_schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCENARIO_SCHEMA.read_text(encoding="utf-8"))
    return loaded


@cache
def control_document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(CONTROL.read_text(encoding="utf-8"))
    return loaded


def resolve(document: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    """``node`` with its ``$ref`` (a pointer into ``document``) followed."""
    while "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def scenario_fault() -> Mapping[str, Any]:
    schema = scenario_schema()
    return resolve(schema, schema["properties"]["faults"]["items"])


def control_schema(name: str) -> Mapping[str, Any]:
    document = control_document()
    return resolve(document, document["components"]["schemas"][name])


def parameter_names(document: Mapping[str, Any], action_schema: Mapping[str, Any]) -> set[str]:
    """The parameters an action's schema declares: its properties, or those of each alternative of its oneOf."""
    action_schema = resolve(document, action_schema)
    alternatives = [resolve(document, one) for one in action_schema.get("oneOf", [action_schema])]
    return {name for alternative in alternatives for name in alternative.get("properties", {})}


# -- the same actions and parameters --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "schema", "document", "besides"),
    [
        ("schema.json", scenario_fault, scenario_schema, WHEN),
        ("control.yaml FaultSpec", lambda: control_schema("FaultSpec"), control_document, WHEN),
        ("control.yaml Fault", lambda: control_schema("Fault"), control_document, WHEN | {"id", "createdAt"}),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_each_file_declares_every_action_with_its_parameters_and_exactly_one_per_fault(
    source: str, schema: Any, document: Any, besides: set[str]
) -> None:
    fault, doc = schema(), document()

    actions = set(fault["properties"]) - besides
    one_each = [set(alternative["required"]) for alternative in fault["oneOf"]]
    parameters = {action: parameter_names(doc, fault["properties"][action]) for action in actions}

    assert actions == set(ACTIONS), source
    assert sorted(one_each, key=sorted) == sorted(({action} for action in ACTIONS), key=sorted), source
    assert parameters == {spec.action.value: {p.name for p in spec.parameters} for spec in SPECS.values()}, source


# -- the same values accepted and refused -----------------------------------------------------------------------


def valid(parameter: Parameter) -> Any:
    """A value the parameter takes."""
    return {
        "status": parameter.minimum,
        "choice": parameter.choices[0] if parameter.choices else None,
        "count": parameter.minimum,
        "duration": "PT5M",
        "signed_duration": "-PT5M",
        "share": parameter.maximum,
    }[parameter.kind]


def samples(parameter: Parameter) -> Iterator[tuple[Any, bool]]:
    """(value, whether the parameter takes it): its limits from both sides, and values of the wrong type."""
    low, high = parameter.minimum, parameter.maximum
    if parameter.kind in ("status", "count"):
        assert low is not None and high is not None
        yield from [(low, True), (high, True), (low - 1, False), (high + 1, False), (True, False), (str(low), False)]
    elif parameter.kind == "choice":
        yield from [*((choice, True) for choice in parameter.choices), ("boom", False), (1, False)]
    elif parameter.kind in ("duration", "signed_duration"):
        yield from [("PT5M", True), ("PT1H30M", True), ("soon", False), (300, False)]
        yield "-PT5M", parameter.kind == "signed_duration" or None  # None: a sign the schemas cannot judge
    elif parameter.kind == "share":
        yield from [(high, True), (0.25, True), ("20%", True), (low, False), (1.5, False), (True, False), ("x", False)]


def base(spec: ActionSpec) -> dict[str, Any]:
    """The action's parameters, each required one with a value it takes (one of them, for a one-of action)."""
    required = [p for p in spec.parameters if p.required]
    return {p.name: valid(p) for p in (required[:1] if spec.one_of else required)}


def cases() -> Iterator[Any]:
    for spec in SPECS.values():
        name = spec.action.value
        yield pytest.param(name, base(spec), True, id=f"{name}-as-written")
        if base(spec):
            yield pytest.param(name, {}, False, id=f"{name}-without-parameters")
        if spec.one_of:
            both = {p.name: valid(p) for p in spec.parameters}
            yield pytest.param(name, both, False, id=f"{name}-with-both")
        yield pytest.param(name, {**base(spec), "bogus": 1}, False, id=f"{name}-unknown-parameter")
        for parameter in spec.parameters:
            others = {key: value for key, value in base(spec).items() if not spec.one_of}
            if not parameter.required:
                yield pytest.param(name, others, True, id=f"{name}-without-{parameter.name}")
            for value, taken in samples(parameter):
                if taken is not None:
                    params = {**others, parameter.name: value}
                    yield pytest.param(name, params, taken, id=f"{name}-{parameter.name}={value!r}")


@cache
def scenario_validator() -> Any:
    schema = scenario_schema()
    return jsonschema_rs.validator_for({"$defs": schema.get("$defs", {}), **schema["properties"]["faults"]["items"]})


@cache
def add_fault() -> Operation:
    return load_contract(CONTROL, name="_sim").operation("addFault")


def module_takes(fault: dict[str, Any]) -> bool:
    try:
        parse_fault(fault, fault_id="f1", points={POINT: ACTIONS}, tz=NOW.tzinfo or ZoneInfo("UTC"), now=NOW)
    except ConfigError:
        return False
    return True


@pytest.mark.parametrize(("action", "params", "taken"), list(cases()))
def test_the_scenario_format_and_the_control_api_take_what_the_vocabulary_takes(
    action: str, params: dict[str, Any], taken: bool
) -> None:
    fault = {"at": POINT, action: params}

    by_module = module_takes(fault)
    by_scenario = scenario_validator().is_valid(fault)
    by_control = not add_fault().decode(json.dumps(fault).encode(), "application/json").errors

    assert (by_module, by_scenario, by_control) == (taken, taken, taken)


@pytest.mark.parametrize("spec", list(SPECS.values()), ids=lambda spec: spec.action.value)
def test_every_fault_the_control_api_lists_is_a_fault_its_contract_declares(spec: ActionSpec) -> None:
    fault = parse_fault(
        {"at": POINT, spec.action.value: base(spec)},
        fault_id="f1",
        points={POINT: ACTIONS},
        tz=NOW.tzinfo or ZoneInfo("UTC"),
        now=NOW,
    )

    errors = add_fault().validate_response(201, fault.to_json(), "application/json")

    assert errors == []
