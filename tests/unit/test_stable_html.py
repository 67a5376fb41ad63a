"""Stable HTML: random element ids become numbered ones, consistently within a page and equal across runs."""

from __future__ import annotations

import uuid

from medcost.core.stable_html import stable_ids


def page(a: str, b: str, table: str) -> str:
    return (
        f'<div id="{a}"></div><script>plot("{a}"); show("{b}")</script>'
        f'<h1 id="summary_{table.upper() * 5}">x</h1><style>#T_{table} td {{}}</style><td id="T_{table}_row0">'
    )


def test_two_renderings_with_different_random_ids_become_the_same_bytes():
    first = page(str(uuid.uuid4()), str(uuid.uuid4()), "a1b2c")
    second = page(str(uuid.uuid4()), str(uuid.uuid4()), "d4e5f")
    assert first != second
    assert stable_ids(first) == stable_ids(second)


def test_references_to_one_id_stay_consistent_and_distinct_ids_stay_distinct():
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    out = stable_ids(page(a, b, "a1b2c"))
    assert a not in out and b not in out
    assert out.count("00000000-0000-4000-8000-000000000000") == 2  # the div and the script that draws it
    assert out.count("00000000-0000-4000-8000-000000000001") == 1
    assert out.count("#T_s") == 1 and out.count('id="T_s') == 1


def test_text_without_random_ids_is_unchanged():
    text = "<p>client 12345, year 2026, T_total 3 and 2026-01-01</p>"
    assert stable_ids(text) == text
