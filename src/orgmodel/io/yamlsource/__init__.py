"""Read scenario YAML with line and column kept, and report validation errors at their place.

One module a job: :mod:`.reading` (YAML to plain values with positions), :mod:`.locator` (where
each value is, paths as text), :mod:`.pydantic_errors` (a validation error as one line at its
place) and :mod:`.validation` (running a model, with the allowed keys as hints).

:func:`load_yaml` reads one file into plain Python values (dict, list, str, int, float, bool,
None, date, datetime) and a :class:`Locator` that knows where each key and list item is.
:func:`validate` runs a pydantic model over the data and turns the first error (the earliest
in the file) into a one-line :class:`~orgmodel.errors.SpecError`: ``file:line:col: path: message``.

>>> from pydantic import BaseModel, ConfigDict
>>> class Team(BaseModel):
...     model_config = ConfigDict(extra="forbid")
...     name: str
...     size: int
>>> data, where = load_yaml_text("name: core\\nsize: ten\\n", file="s.yaml")
>>> data
{'name': 'core', 'size': 'ten'}
>>> where.locate(("size",))
(2, 1)
>>> try:
...     validate(Team, data, file="s.yaml", locator=where)
... except SpecError as err:
...     print(err)
s.yaml:2:1: size: expected an integer, got 'ten'

Unknown keys name the keys that are allowed; a missing key points at its parent mapping; every
error of the file is a line of its own:

>>> data, where = load_yaml_text("name: core\\nsise: 3\\n", file="s.yaml")
>>> try:
...     validate(Team, data, file="s.yaml", locator=where)
... except SpecError as err:
...     print(err)
s.yaml:2:1: sise: unknown key (allowed: name, size)
s.yaml:1:1: size: required key missing

>>> format_path(("variants", 0, "steps", 1, "params", "k"))
'variants[0].steps[1].params.k'
"""

from orgmodel.errors import SpecError  # noqa: F401 - the examples above catch it
from orgmodel.io.yamlsource.locator import Locator, format_path
from orgmodel.io.yamlsource.pydantic_errors import spec_error_from_validation
from orgmodel.io.yamlsource.reading import MAX_SPEC_BYTES, load_yaml, load_yaml_text
from orgmodel.io.yamlsource.validation import validate

__all__ = [
    "MAX_SPEC_BYTES",
    "Locator",
    "load_yaml",
    "load_yaml_text",
    "format_path",
    "spec_error_from_validation",
    "validate",
]
