"""The feature definitions, written once as engine-neutral SQL rendered from the transform params.

One query gives the whole feature table (every cutoff, every column, in its final order): the
demographics of the clients enrolled on each cutoff and their point-in-time claim aggregates,
as conditional aggregates (``sum(CASE WHEN ... THEN amount ELSE 0 END)``, amounts in exact cents) over one scan of
the claims per cutoff. It uses only SQL that DuckDB and Spark SQL both run (no FILTER, QUALIFY
or ``::`` casts); the few spellings that differ (identifier quotes, a difference of dates in
days, string literals, a regular-expression replace) are the :data:`DIALECTS` mapping. DuckDB
runs it over the Parquet files (``medcost.transform.duck``), Spark (``transform.engine: spark``,
``medcost.transform.spark``) over temporary views named ``clients`` and ``claims``.

The meaning of every column is the pandas reference's, ``medcost.transform.features``; the
tests hold both engines to the same cases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from medcost.core.features import CUTOFF_COLUMN, history_columns
from medcost.core.params import TransformParams

WHITESPACE = r"^[ \t\n\r\f\x0B]+|[ \t\n\r\f\x0B]+$"
"""Leading and trailing ASCII whitespace, which pandas' ``str.strip`` removes (it also strips Unicode spaces).

The vertical tab is spelled ``\\x0B``, the same character in RE2 (DuckDB) and Java (Spark): in a
Java class ``\\v`` means every vertical whitespace, Unicode line separators included.
"""


@dataclass(frozen=True)
class Dialect:
    """How one engine spells what standard SQL leaves open."""

    quote: str  # around identifiers
    days: str  # the whole days from {start} to {end}
    strip: str  # {text} without leading and trailing whitespace; {pattern} is the WHITESPACE literal
    backslash_escapes: bool  # string literals take backslash escapes (and adjacent literals are concatenated)

    def ident(self, name: str) -> str:
        return f"{self.quote}{name.replace(self.quote, self.quote * 2)}{self.quote}"

    def text(self, value: str) -> str:
        """``value`` as a string literal."""
        if self.backslash_escapes:  # Spark reads 'a''b' as 'a' 'b', i.e. 'ab'
            return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return "'" + value.replace("'", "''") + "'"


DIALECTS = {
    "duckdb": Dialect(
        quote='"',
        days="datediff('day', {start}, {end})",
        strip="regexp_replace({text}, {pattern}, '', 'g')",
        backslash_escapes=False,
    ),
    # Spark SQL: datediff(end, start); regexp_replace replaces every match (Java regular expressions).
    "spark": Dialect(
        quote="`",
        days="datediff({end}, {start})",
        strip="regexp_replace({text}, {pattern}, '')",
        backslash_escapes=True,
    ),
}


@dataclass(frozen=True)
class Cutoff:
    """One feature snapshot: clients enrolled on ``on``, claims known before it; with ``target_end``, the target."""

    on: dt.date
    target_end: dt.date | None = None


def _date(value: dt.date) -> str:
    return f"DATE '{value.isoformat()}'"


def _double(expression: str) -> str:
    return f"CAST({expression} AS DOUBLE)"


def _year_before(day: dt.date) -> dt.date:
    """The same day one year earlier (29 February becomes 28 February, as pandas' DateOffset does)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


class _Render:
    """Renders the query for one dialect and one set of params."""

    def __init__(self, cfg: TransformParams, dialect: str) -> None:
        self.cfg = cfg
        self.d = DIALECTS[dialect]
        self.pattern = self.d.text(WHITESPACE)

    def q(self, name: str) -> str:
        return self.d.ident(name)

    def clean(self, column: str) -> str:
        """Trimmed, lower-cased text (missing stays missing)."""
        return "lower(" + self.d.strip.format(text=column, pattern=self.pattern) + ")"

    def days(self, start: str, end: str) -> str:
        return self.d.days.format(start=start, end=end)

    def demographics(self, cut: dt.date) -> list[str]:
        """The clients' columns of one cutoff, in output order (each ``expression AS name``)."""
        cfg, q, c = self.cfg, self.q, _date(cut)
        out = [f"CAST(p.client_id AS BIGINT) AS {q('client_id')}", f"CAST({cut.year} AS BIGINT) AS {q('year')}"]
        out.append(f"{c} AS {q(CUTOFF_COLUMN)}")
        out += [f"{self.clean('p.' + q(n))} AS {q(n)}" for n in cfg.categorical]
        out += [f"{_double(f'CASE WHEN p.{q(n)} THEN 1 WHEN NOT p.{q(n)} THEN 0 END')} AS {q(n)}" for n in cfg.flags]
        for name in cfg.numeric:
            value = _double(f"p.{q(name)}")
            if name in cfg.valid_ranges:
                low, high = cfg.valid_ranges[name]
                value = f"CASE WHEN {value} BETWEEN {_double(repr(float(low)))} AND {_double(repr(float(high)))} THEN {value} END"
            out.append(f"{value} AS {q(name)}")
        birthday_later = f"month(p.birth_date) * 100 + dayofmonth(p.birth_date) > {cut.month * 100 + cut.day}"
        age = f"{cut.year} - year(p.birth_date) - CASE WHEN {birthday_later} THEN 1 ELSE 0 END"
        out.append(f"{_double(age)} AS {q('age')}")
        out.append(f"round({_double(self.days('p.enrolled_from', c))} / 365.25, 2) AS {q('tenure_years')}")
        start, end = _year_before(cut), cut
        overlap = self.days(f"greatest(p.enrolled_from, {_date(start)})", f"least(coalesce(p.enrolled_to, {c}), {c})")
        period_days = (end - start).days
        months = f"round({_double(f'greatest({overlap}, 0)')} / {period_days} * 12, 2)"
        out.append(f"{months} AS {q('months_enrolled_prev')}")
        return out

    def aggregates(self, cutoff: Cutoff) -> list[str]:
        """The per-client claim aggregates of one cutoff (each ``expression AS name``)."""
        cfg, q = self.cfg, self.q
        known = f"c.paid_date < {_date(cutoff.on)}"
        lag = f"{cutoff.on.year} - year(c.service_date)"

        # Amounts are summed as exact cents (DECIMAL): a sum of doubles depends on the order the
        # engine's threads add them in, which changed the last bit of a feature from run to run.
        def total(condition: str, value: str = "CAST(c.amount AS DECIMAL(18, 2))") -> str:
            return f"coalesce(sum(CASE WHEN {condition} THEN {value} ELSE 0 END), 0)"

        out = [f"{total(f'{known} AND {lag} = {k}')} AS {q(f'cost_prev{k}')}" for k in range(1, cfg.lookback_years + 1)]
        last_year = f"{known} AND {lag} = 1"
        out.append(f"{total(last_year, '1')} AS {q('claims_prev1')}")
        category = self.clean("c.category")
        for name in cfg.claim_categories:
            out.append(f"{total(f'{last_year} AND {category} = {self.d.text(name)}')} AS {q(f'cost_prev1_{name}')}")
        if cutoff.target_end is not None:
            end = _date(cutoff.target_end)  # serviced in the target year and paid by its end: as known then
            target = f"c.service_date >= {_date(cutoff.on)} AND c.service_date < {end} AND c.paid_date < {end}"
            out.append(f"{total(target)} AS {q(cfg.target)}")
        return out

    def history(self, cutoff: Cutoff) -> list[str]:
        """The claim columns of the output, 0 for a client without claims."""
        cfg, q = self.cfg, self.q
        h = {name: f"coalesce(h.{q(name)}, 0)" for name in history_columns(cfg) if name != "cost_trend"}
        if cfg.lookback_years >= 2:
            h["cost_trend"] = f"{h['cost_prev1']} - {h['cost_prev2']}"
        out = [f"{_double(h[name])} AS {q(name)}" for name in history_columns(cfg)]
        target = f"coalesce(h.{q(cfg.target)}, 0)" if cutoff.target_end is not None else "NULL"
        return [*out, f"{_double(target)} AS {q(cfg.target)}"]

    def snapshot(self, cutoff: Cutoff, clients: str, claims: str) -> str:
        """The feature rows of one cutoff."""
        c = _date(cutoff.on)
        columns = ",\n  ".join([*self.demographics(cutoff.on), *self.history(cutoff)])
        aggregates = ",\n    ".join(self.aggregates(cutoff))
        return (
            f"SELECT\n  {columns}\nFROM {clients} AS p\nLEFT JOIN (\n  SELECT c.client_id,\n    {aggregates}\n"
            f"  FROM {claims} AS c\n  WHERE c.client_id IS NOT NULL\n  GROUP BY c.client_id\n) AS h"
            f" ON h.client_id = p.client_id\n"
            f"WHERE p.client_id IS NOT NULL AND p.enrolled_from <= {c} AND (p.enrolled_to IS NULL OR p.enrolled_to > {c})"
        )


def feature_sql(
    cfg: TransformParams,
    cutoffs: Sequence[Cutoff],
    dialect: str = "duckdb",
    clients: str = "clients",
    claims: str = "claims",
) -> str:
    """The feature table of ``cutoffs`` from the relations ``clients`` and ``claims``, sorted by year and client."""
    render = _Render(cfg, dialect)
    parts = "\nUNION ALL\n".join(
        f"SELECT * FROM (\n{render.snapshot(c, clients, claims)}\n) AS s{i}" for i, c in enumerate(cutoffs)
    )
    return f"SELECT * FROM (\n{parts}\n) AS features\nORDER BY {render.q('year')}, {render.q('client_id')}"


def unknown_categories_sql(
    cfg: TransformParams, cutoffs: Sequence[Cutoff], dialect: str = "duckdb", claims: str = "claims"
) -> str:
    """Per cutoff year, the cleaned last-year categories not in ``transform.claim_categories`` and their claims."""
    render = _Render(cfg, dialect)
    category = render.clean("c.category")
    listed = ", ".join(render.d.text(name) for name in cfg.claim_categories)
    parts = [
        f"SELECT {c.on.year} AS cutoff_year, {category} AS category, count(*) AS claims FROM {claims} AS c"
        f" WHERE c.paid_date < {_date(c.on)} AND {c.on.year} - year(c.service_date) = 1"
        f" AND ({category} IS NULL OR {category} NOT IN ({listed}))"
        f" GROUP BY {category}"
        for c in cutoffs
    ]
    return "\nUNION ALL\n".join(parts)


def first_paid_sql(claims: str = "claims") -> str:
    """The first paid date of the claims (one row, one column): the claims history starts in its year."""
    return f"SELECT min(c.paid_date) AS first_paid FROM {claims} AS c"
