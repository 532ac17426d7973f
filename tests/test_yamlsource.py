"""Tests for orgmodel.io.yamlsource: reading scenario YAML and reporting errors at their place."""

import datetime
import random
import time
from typing import Annotated, Literal, Union

import pytest
from pydantic import BaseModel, ConfigDict, Discriminator, Field, RootModel, Tag, field_validator

from orgmodel.io import yamlsource
from orgmodel.errors import SpecError
from orgmodel.io.yamlsource import (
    MAX_SPEC_BYTES,
    Locator,
    format_path,
    load_yaml,
    load_yaml_text,
    spec_error_from_validation,
    validate,
)

# --------------------------------------------------------------------------------------------
# Small models used by the tests


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Member(Strict):
    id: str
    grade: int = 1


class Unit(Strict):
    name: str
    members: list[Member] = []


class Split(Strict):
    kind: Literal["split"]
    k: int
    params: dict[str, int] = {}


class Merge(Strict):
    kind: Literal["merge"]
    into: str = Field(alias="target")

    @field_validator("into")
    @classmethod
    def _not_self(cls, value: str) -> str:
        if value == "self":
            raise ValueError("a unit cannot be merged into itself")
        return value


Step = Annotated[Union[Split, Merge], Field(discriminator="kind")]


class Variant(Strict):
    name: str
    steps: list[Step] = []


class Scenario(Strict):
    name: str
    start: datetime.date | None = None
    baseline: Unit
    variants: list[Variant] = []
    units: dict[str, Unit] = {}
    budget: int | str = 0
    mode: Literal["fast", "exact"] = "fast"
    size: int = Field(default=1, gt=0)


def write(tmp_path, content, name="s.yaml"):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def load_error(path) -> str:
    with pytest.raises(SpecError) as info:
        load_yaml(path)
    text = str(info.value)
    assert "\n" not in text
    return text


def check(tmp_path, text, model=Scenario) -> str:
    """Load and validate; return the error: a line each, each naming the file."""
    path = write(tmp_path, text)
    data, where = load_yaml(path)
    with pytest.raises(SpecError) as info:
        validate(model, data, file=str(path), locator=where)
    message = str(info.value)
    assert all(line.startswith(f"{path}:") for line in message.splitlines()), message
    return message


GOOD = """\
name: demo
start: 2024-03-01
baseline:
  name: core
  members:
    - id: m1
    - id: m2
      grade: 3
variants:
  - name: v1
    steps:
      - kind: split
        k: 2
      - kind: merge
        target: core
"""


# --------------------------------------------------------------------------------------------
# Good input


def test_good_file_loads_as_plain_python(tmp_path):
    data, where = load_yaml(write(tmp_path, GOOD))
    assert data["start"] == datetime.date(2024, 3, 1)
    assert type(data["start"]) is datetime.date
    assert type(data) is dict and type(data["variants"]) is list
    assert type(data["baseline"]["members"][1]["grade"]) is int
    assert type(data["name"]) is str
    model = validate(Scenario, data, file="s.yaml", locator=where)
    assert model.variants[0].steps[1].into == "core"


def test_locator_positions_keys_and_items(tmp_path):
    _, where = load_yaml(write(tmp_path, GOOD))
    assert where.locate(("baseline",)) == (3, 1)
    assert where.locate(("baseline", "members", 1)) == (7, 7)
    assert where.locate(("baseline", "members", 1, "grade")) == (8, 7)
    assert where.locate(("variants", 0, "steps", 1, "target")) == (15, 9)
    # absent paths fall back to the longest existing prefix; the root is 1:1
    assert where.locate(("baseline", "members", 1, "nope", 3)) == (7, 7)
    assert where.locate(("nothing",)) == (1, 1)
    assert where.locate(()) == (1, 1)


def test_scalars_become_plain_types():
    text = (
        "a: 0x1F\nb: 1.50\nc: true\nd: |\n  x\n"
        "e: 2024-01-02T03:04:05+02:00\nf: !!str 12\ng: null\n"
    )
    data, _ = load_yaml_text(text)
    assert data == {
        "a": 31,
        "b": 1.5,
        "c": True,
        "d": "x\n",
        "e": datetime.datetime(
            2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
        ),
        "f": "12",
        "g": None,
    }
    assert [type(v) for v in data.values()] == [
        int, float, bool, str, datetime.datetime, str, type(None)
    ]


def test_merge_keys_and_aliases_expand():
    data, where = load_yaml_text("base: &b {grade: 2}\nm:\n  <<: *b\n  id: x\n")
    assert data["m"] == {"id": "x", "grade": 2}
    assert where.locate(("m", "id")) == (4, 3)
    assert ("m", "grade") in where  # merged key: placed at its mapping


def test_format_path():
    path = ("variants", 0, "steps", 1, "params", "k")
    assert format_path(path) == "variants[0].steps[1].params.k"
    assert format_path((0, "a b")) == "[0]['a b']"


# --------------------------------------------------------------------------------------------
# Files that cannot be read


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    assert load_error(path) == f"{path}: file not found"


def test_directory(tmp_path):
    assert load_error(tmp_path) == f"{tmp_path}: is a directory, not a file"


def test_empty_file(tmp_path):
    path = write(tmp_path, "")
    assert load_error(path) == f"{path}: file is empty"


def test_whitespace_only_file(tmp_path):
    path = write(tmp_path, "  \n\n\t\n")
    assert load_error(path) == f"{path}: file is empty"


def test_comments_only_file(tmp_path):
    path = write(tmp_path, "# a scenario\n\n   # to be written\n---\n")
    assert load_error(path) == f"{path}: file is empty"


def test_binary_junk(tmp_path):
    rng = random.Random(7)
    junk = bytes(rng.randrange(256) for _ in range(2000)) + b"\x00"
    path = write(tmp_path, junk)
    message = load_error(path)
    assert message.startswith(f"{path}:")
    assert message.endswith(": not a text file (binary or not UTF-8)")


def test_nul_byte_position(tmp_path):
    path = write(tmp_path, b"name: x\nab\x00c\n")
    assert load_error(path) == f"{path}:2:3: not a text file (binary or not UTF-8)"


def test_latin1_bytes(tmp_path):
    path = write(tmp_path, "name: demo\nowner: Café\n".encode("latin-1"))
    assert load_error(path) == f"{path}:2:11: not a text file (binary or not UTF-8)"


def test_utf8_with_bom_is_fine(tmp_path):
    data, _ = load_yaml(write(tmp_path, "\ufeffname: Café\n".encode("utf-8")))
    assert data == {"name": "Café"}


def test_file_over_limit_refused_without_parsing(tmp_path, monkeypatch):
    line = b"# " + b"x" * 77 + b"\n"  # 80 bytes
    path = write(tmp_path, line * (int(10.5 * 1024 * 1024) // len(line)))
    size = path.stat().st_size
    assert size > MAX_SPEC_BYTES

    def boom(text):
        raise AssertionError("parsed a file that is too big")

    monkeypatch.setattr(yamlsource.reading, "_parse_text", boom)
    started = time.perf_counter()
    message = load_error(path)
    assert time.perf_counter() - started < 1.0
    assert message == (
        f"{path}: file is {size:,} bytes; scenario files are limited to 2 MB"
        " (put large tables in roster files)"
    )


# --------------------------------------------------------------------------------------------
# YAML that does not parse, or is not a mapping


def test_syntax_error_line(tmp_path):
    path = write(tmp_path, "name: demo\nbaseline:\n  name: core\n  members: [a, b\nvariants: []\n")
    message = load_error(path)
    assert message.startswith(f"{path}:5:")
    assert "expected ',' or ']'" in message


def test_syntax_error_mapping_values(tmp_path):
    path = write(tmp_path, "name: demo\nbaseline: name: core\n")
    assert load_error(path) == f"{path}:2:15: mapping values are not allowed here"


def test_tab_indentation(tmp_path):
    path = write(tmp_path, "name: demo\n\tbaseline: x\n")
    assert load_error(path) == f"{path}:2:1: found character '\\t' that cannot start any token"


def test_duplicate_key(tmp_path):
    path = write(tmp_path, "name: demo\nbaseline:\n  name: a\n  name: b\n")
    assert load_error(path) == f"{path}:4:3: duplicate key 'name'"


def test_two_documents(tmp_path):
    path = write(tmp_path, "name: a\n---\nname: b\n")
    message = load_error(path)
    assert message.startswith(f"{path}:2:1: ")
    assert "single document" in message


def test_top_level_list(tmp_path):
    path = write(tmp_path, "# units\n- a\n- b\n")
    assert load_error(path) == f"{path}:2:1: expected a mapping at the top level, got a list"


def test_top_level_scalar(tmp_path):
    path = write(tmp_path, "hello\n")
    assert load_error(path) == f"{path}:1:1: expected a mapping at the top level, got a string"


def test_unknown_tags_are_refused(tmp_path):
    path = write(tmp_path, "name: demo\nrun: !!python/object/apply:os.system [ls]\n")
    assert load_error(path) == (
        f"{path}:2:1: run: unsupported YAML tag !!python/object/apply:os.system"
    )
    path = write(tmp_path, "name: demo\nx: !custom {a: 1}\n")
    assert load_error(path) == f"{path}:2:1: x: unsupported YAML tag !custom"


def test_alias_bomb_is_refused():
    rows = ["a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]"]
    for prev, name in zip("abcdefgh", "bcdefghi"):
        rows.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    started = time.perf_counter()
    with pytest.raises(SpecError, match="too many values after expanding aliases"):
        load_yaml_text("\n".join(rows) + "\n", file="bomb.yaml")
    assert time.perf_counter() - started < 30


def test_too_deep_nesting():
    with pytest.raises(SpecError) as info:
        load_yaml_text("a: " + "[" * 3000 + "]" * 3000 + "\n", file="deep.yaml")
    assert str(info.value) == "deep.yaml: values are nested too deeply"


def test_complex_key_refused():
    with pytest.raises(SpecError) as info:
        load_yaml_text("? [1, 2]\n: x\n", file="k.yaml")
    assert str(info.value) == "k.yaml:1:3: mapping keys must be plain values, not lists or mappings"


# --------------------------------------------------------------------------------------------
# Validation errors, located


def test_mapping_where_list_belongs(tmp_path):
    message = check(tmp_path, "name: demo\nbaseline:\n  name: core\n  members:\n    id: m1\n")
    assert message == f"{tmp_path / 's.yaml'}:4:3: baseline.members: expected a list, got a mapping"


def test_unknown_key_typo(tmp_path):
    text = "name: demo\nbaseline:\n  name: core\n  membres:\n    - id: m1\n"
    message = check(tmp_path, text)
    assert message == (
        f"{tmp_path / 's.yaml'}:4:3: baseline.membres: unknown key (allowed: name, members)"
    )


def test_unknown_key_in_list_item(tmp_path):
    text = "name: demo\nbaseline:\n  name: core\n  members:\n    - id: m1\n      grde: 2\n"
    message = check(tmp_path, text)
    assert message == (
        f"{tmp_path / 's.yaml'}:6:7: baseline.members[0].grde: unknown key (allowed: id, grade)"
    )


def test_unknown_key_inside_discriminated_union_uses_alias(tmp_path):
    text = (
        "name: d\nbaseline: {name: c}\nvariants:\n  - name: v\n    steps:\n"
        "      - kind: merge\n        trget: x\n"
    )
    message = check(tmp_path, text)
    # the missing "target" is reported as well, but the typo comes first
    assert message.splitlines()[0] == (
        f"{tmp_path / 's.yaml'}:7:9: variants[0].steps[0].trget: unknown key (allowed: kind, target)"
    )
    assert len(message.splitlines()) == 2 and "target: required key missing" in message.splitlines()[1]


def test_unknown_key_inside_dict_of_models(tmp_path):
    text = "name: d\nbaseline: {name: c}\nunits:\n  ops:\n    name: o\n    colour: red\n"
    message = check(tmp_path, text)
    assert message == (
        f"{tmp_path / 's.yaml'}:6:5: units.ops.colour: unknown key (allowed: name, members)"
    )


def test_wrong_type_points_at_key(tmp_path):
    text = "name: demo\nbaseline:\n  name: core\n  members:\n    - id: m1\n      grade: high\n"
    message = check(tmp_path, text)
    assert message == (
        f"{tmp_path / 's.yaml'}:6:7: baseline.members[0].grade: expected an integer, got 'high'"
    )


def test_wrong_type_long_input_is_shortened(tmp_path):
    text = "name: demo\nbaseline:\n  name: core\n  members:\n    - id: m1\n      grade: "
    text += "x" * 100 + "\n"
    message = check(tmp_path, text)
    shown = message.split("got ", 1)[1]
    assert len(shown) == 40 and shown.endswith("...")


def test_union_members_are_merged(tmp_path):
    message = check(tmp_path, "name: d\nbaseline: {name: c}\nbudget: [1, 2]\n")
    assert message == (
        f"{tmp_path / 's.yaml'}:3:1: budget: expected an integer or a string, got a list"
    )


def test_missing_required_key_points_at_parent(tmp_path):
    text = "name: demo\nbaseline:\n  members:\n    - id: m1\n"
    message = check(tmp_path, text)
    assert message == f"{tmp_path / 's.yaml'}:2:1: baseline.name: required key missing"


def test_missing_required_key_at_root(tmp_path):
    message = check(tmp_path, "# scenario\nname: demo\n")
    assert message == f"{tmp_path / 's.yaml'}:1:1: baseline: required key missing"


def test_missing_key_in_list_item_points_at_item(tmp_path):
    text = "name: demo\nbaseline:\n  name: core\n  members:\n    - id: m1\n    - grade: 2\n"
    message = check(tmp_path, text)
    assert message == f"{tmp_path / 's.yaml'}:6:7: baseline.members[1].id: required key missing"


def test_discriminated_union_unknown_tag(tmp_path):
    text = (
        "name: d\nbaseline: {name: c}\nvariants:\n  - name: v\n    steps:\n"
        "      - kind: splt\n        k: 2\n"
    )
    message = check(tmp_path, text)
    assert message == (
        f"{tmp_path / 's.yaml'}:6:9: variants[0].steps[0].kind: unknown kind 'splt'"
        " (allowed: 'split', 'merge')"
    )


def test_discriminated_union_missing_tag(tmp_path):
    text = "name: d\nbaseline: {name: c}\nvariants:\n  - name: v\n    steps:\n      - k: 2\n"
    message = check(tmp_path, text)
    assert message == (
        f"{tmp_path / 's.yaml'}:6:9: variants[0].steps[0].kind: required key missing"
    )


def test_error_inside_union_member_has_user_path(tmp_path):
    text = (
        "name: d\nbaseline: {name: c}\nvariants:\n  - name: v\n    steps:\n"
        "      - kind: split\n        k: 1\n        params:\n          k: lots\n"
    )
    message = check(tmp_path, text)
    assert message == (
        f"{tmp_path / 's.yaml'}:9:11: variants[0].steps[0].params.k:"
        " expected an integer, got 'lots'"
    )


def test_value_error_message(tmp_path):
    text = (
        "name: d\nbaseline: {name: c}\nvariants:\n  - name: v\n    steps:\n"
        "      - {kind: merge, target: self}\n"
    )
    message = check(tmp_path, text)
    assert message == (
        f"{tmp_path / 's.yaml'}:6:23: variants[0].steps[0].target:"
        " a unit cannot be merged into itself"
    )


def test_literal_error(tmp_path):
    message = check(tmp_path, "name: d\nbaseline: {name: c}\nmode: quick\n")
    assert message == (
        f"{tmp_path / 's.yaml'}:3:1: mode: expected one of 'fast', 'exact', got 'quick'"
    )


def test_bound_error(tmp_path):
    message = check(tmp_path, "name: d\nbaseline: {name: c}\nsize: 0\n")
    assert message == f"{tmp_path / 's.yaml'}:3:1: size: must be greater than 0, got 0"


def test_date_with_time(tmp_path):
    message = check(tmp_path, "name: d\nstart: 2024-01-01 10:30:00\nbaseline: {name: c}\n")
    assert message == (
        f"{tmp_path / 's.yaml'}:2:1: start: expected a date without a time, got 2024-01-01T10:30:00"
    )


def test_earliest_error_in_file_is_reported(tmp_path):
    text = "name: 5\nbaseline:\n  name: core\n  members:\n    - id: m1\n      grade: x\nmode: q\n"
    message = check(tmp_path, text)
    lines = message.splitlines()
    assert lines[0] == f"{tmp_path / 's.yaml'}:1:1: name: expected a string, got 5"
    assert len(lines) == 3 and [line.split(":")[1] for line in lines] == ["1", "6", "7"]  # every error, in file order


def test_context_is_passed(tmp_path):
    class Needs(Strict):
        n: int

        @field_validator("n")
        @classmethod
        def _limit(cls, value, info):
            if value > info.context["limit"]:
                raise ValueError(f"n is above the limit {info.context['limit']}")
            return value

    path = write(tmp_path, "n: 9\n")
    data, where = load_yaml(path)
    with pytest.raises(SpecError) as info:
        validate(Needs, data, file=str(path), locator=where, context={"limit": 3})
    assert str(info.value) == f"{path}:1:1: n: n is above the limit 3"


def test_callable_discriminator_and_root_model(tmp_path):
    class Cat(Strict):
        meow: int

    class Dog(Strict):
        woof: int

    def pick(value):
        return "cat" if isinstance(value, dict) and "meow" in value else "dog"

    Pet = Annotated[
        Union[Annotated[Cat, Tag("cat")], Annotated[Dog, Tag("dog")]], Discriminator(pick)
    ]

    class Pets(RootModel[dict[str, Pet]]):
        pass

    message = check(tmp_path, "rex:\n  woof: 1\n  wolf: 2\n", model=Pets)
    assert message == f"{tmp_path / 's.yaml'}:3:3: rex.wolf: unknown key (allowed: woof)"


def test_spec_error_from_validation_without_hints():
    data, where = load_yaml_text("a: 1\nb:\n  c: x\n", file="t.yaml")

    class B(Strict):
        c: int

    class A(Strict):
        a: int
        b: B

    with pytest.raises(Exception) as info:
        A.model_validate({**data, "zz": 1})
    err = spec_error_from_validation(info.value, file="t.yaml", locator=where)
    assert isinstance(err, SpecError)
    assert str(err) == "t.yaml:3:3: b.c: expected an integer, got 'x'\nt.yaml:1:1: unknown key"
    assert (err.file, err.line, err.column, err.field) == ("t.yaml", 3, 3, "b.c")


def test_locator_built_by_hand():
    where = Locator({("a",): (4, 2)})
    assert where.locate(("a", "b")) == (4, 2)
    assert ("a",) in where and ("b",) not in where
