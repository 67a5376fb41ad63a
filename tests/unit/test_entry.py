"""The one error exit: `error: <stage>: <one line>`, exit 1, the stage named once."""

from __future__ import annotations

import pytest

from medcost.core.entry import exit_on_error
from medcost.core.errors import MedcostError


@pytest.mark.parametrize(
    ("raised", "shown"),
    [
        ("validate: claims suite needs column(s) x", "error: validate: claims suite needs column(s) x"),
        ("params.yaml: split.test_size = 2", "error: validate: params.yaml: split.test_size = 2"),
        ("two\nlines", "error: validate: two lines"),
    ],
)
def test_an_error_is_one_line_naming_the_stage_once(capsys, raised, shown):
    with pytest.raises(SystemExit) as exit_info, exit_on_error("validate"):
        raise MedcostError(raised)
    assert exit_info.value.code == 1
    assert capsys.readouterr().err == shown + "\n"
