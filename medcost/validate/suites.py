"""The four Great Expectations suites of the data-quality gate, each built in code from params.

* ``clients`` and ``claims``: the raw extract, as declared in ``extract.tables``: exact
  columns and types, keys, value ranges, case- and space-insensitive value sets (odd case
  and stray spaces are expected dirt in the source, cleaned by transform), null rates and
  row counts against metrics/extract.json;
* ``claims_clients``: every claim's client exists. Great Expectations 1.x has no cross-table
  expectation for pandas, so the join is done beforehand (:func:`~medcost.validate.frames.claims_clients_frame`)
  and the suite checks the derived column ``unknown_client_id`` is always null;
* ``features``: the lakehouse feature table at the load receipt's version: columns and
  types from the transform params, compound key, cleaned value sets, ranges, null rates,
  the target's presence (training rows) and absence (scoring rows), and its mean and
  upper quantiles inside ``validate.target``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from medcost.core.errors import MedcostError
from medcost.core.features import CUTOFF_COLUMN, history_columns
from medcost.core.params import ExtractParams, TransformParams, ValidateParams
from medcost.validate.frames import PANDAS_TYPES, RELATION_COLUMN, feature_kinds
from medcost.validate.gx import gx, gxe

if TYPE_CHECKING:
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.expectations.expectation import Expectation


def _suite(name: str, expectations: list[Expectation]) -> ExpectationSuite:
    return gx().ExpectationSuite(name=name, expectations=expectations)


def _require(table: str, declared: Iterable[str], needed: Iterable[str]) -> None:
    missing = [c for c in needed if c not in set(declared)]
    if missing:
        raise MedcostError(
            f"validate: {table} suite needs column(s) {', '.join(missing)}, "
            f"not declared for {table} (extract.tables / transform params)"
        )


def _null_rates(
    table: str, columns: Iterable[str], cfg: ValidateParams, strict: Iterable[str] = ()
) -> dict[str, float]:
    columns = list(columns)
    unknown = [k for k in cfg.null_rates if k.startswith(f"{table}.") and k.partition(".")[2] not in columns]
    if unknown:
        raise MedcostError(f"params.yaml: validate.null_rates.{unknown[0]}: no such column in {table}")
    rates = {c: cfg.null_rates.get(f"{table}.{c}", cfg.max_null_rate) for c in columns}
    rates.update({c: 0.0 for c in strict})
    return rates


def _schema(
    table: str,
    kinds: Mapping[str, str],
    cfg: ValidateParams,
    rows: int | None,
    strict_not_null: Iterable[str] = (),
    skip_null_rate: Iterable[str] = (),
) -> list[Expectation]:
    """Columns, types, null rates and row count: the part every table's suite shares."""
    expect = gxe()
    out: list[Expectation] = [
        expect.ExpectTableColumnsToMatchSet(column_set=list(kinds), exact_match=True),
        expect.ExpectTableRowCountToBeBetween(min_value=1),
    ]
    if rows is not None:
        out.append(expect.ExpectTableRowCountToEqual(value=int(rows)))
    for column, kind in kinds.items():
        out.append(expect.ExpectColumnTypeToBe(column=column, type_=PANDAS_TYPES[kind]))
    skip = set(skip_null_rate)
    for column, rate in _null_rates(table, kinds, cfg, strict_not_null).items():
        if column not in skip:
            out.append(expect.ExpectColumnValuesToNotBeNull(column=column, mostly=round(1.0 - rate, 6)))
    return out


def _loose_text(values: Iterable[str]) -> str:
    """A regex accepting the values in any case, with stray spaces around them (raw-source dirt)."""
    return r"(?i)^\s*(?:" + "|".join(re.escape(v) for v in values) + r")\s*$"


def _years_before(day: dt.date, years: float) -> dt.datetime:
    whole = math.ceil(years)
    return dt.datetime(day.year - whole, day.month, day.day)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)


def clients_suite(
    extract: ExtractParams, transform: TransformParams, cfg: ValidateParams, rows: int | None = None
) -> ExpectationSuite:
    """The raw ``clients`` extract; ``rows`` is the row count extract reported (metrics/extract.json)."""
    expect = gxe()
    kinds = extract.tables["clients"].columns
    _require(
        "clients",
        kinds,
        [
            "client_id",
            "birth_date",
            "enrolled_from",
            "enrolled_to",
            *transform.categorical,
            *transform.flags,
            *transform.numeric,
        ],
    )
    _require("validate.value_sets", cfg.value_sets, transform.categorical)
    as_of = _midnight(extract.as_of)
    out = _schema("clients", kinds, cfg, rows, strict_not_null=["client_id"])
    out += [
        expect.ExpectColumnValuesToBeUnique(column="client_id"),
        expect.ExpectColumnValuesToBeBetween(
            column="birth_date",
            min_value=_years_before(extract.as_of, cfg.age[1] + 1),
            max_value=as_of,
            notes=f"ages {cfg.age[0]:g}-{cfg.age[1]:g} on {extract.as_of}",
        ),
        expect.ExpectColumnValuesToBeBetween(column="enrolled_from", max_value=as_of, strict_max=True),
        expect.ExpectColumnValuesToBeBetween(  # or left before the window with a claim paid in it
            column="enrolled_to", min_value=_midnight(extract.history_start) - dt.timedelta(cfg.max_payment_lag_days)
        ),
        expect.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="enrolled_to", column_B="enrolled_from", or_equal=True, ignore_row_if="either_value_is_missing"
        ),
    ]
    for column in transform.categorical:
        out.append(
            expect.ExpectColumnValuesToMatchRegex(
                column=column,
                regex=_loose_text(cfg.value_sets[column]),
                notes="raw values: any case, stray spaces allowed (transform trims and lower-cases them)",
            )
        )
    for column in transform.flags:
        out.append(expect.ExpectColumnValuesToBeInSet(column=column, value_set=[True, False]))
    for column, (low, high) in transform.valid_ranges.items():
        if column in kinds:
            out.append(
                expect.ExpectColumnValuesToBeBetween(
                    column=column,
                    min_value=low,
                    max_value=high,
                    mostly=round(1.0 - cfg.raw_out_of_range_rate, 6),
                    notes="a few entry errors are expected in the source; transform makes them missing",
                )
            )
    return _suite("clients", out)


def claims_suite(
    extract: ExtractParams, transform: TransformParams, cfg: ValidateParams, rows: int | None = None
) -> ExpectationSuite:
    """The raw ``claims`` extract: claims paid in [history_start, as_of)."""
    expect = gxe()
    kinds = extract.tables["claims"].columns
    _require("claims", kinds, ["claim_id", "client_id", "service_date", "paid_date", "category", "amount"])
    as_of, start = _midnight(extract.as_of), _midnight(extract.history_start)
    out = _schema("claims", kinds, cfg, rows, strict_not_null=["claim_id", "client_id"])
    out += [
        expect.ExpectColumnValuesToBeUnique(column="claim_id"),
        expect.ExpectColumnValuesToBeBetween(
            column="paid_date",
            min_value=start,
            max_value=as_of,
            strict_max=True,
            notes="the extract window [history_start, as_of)",
        ),
        expect.ExpectColumnValuesToBeBetween(
            column="service_date",
            min_value=start - dt.timedelta(days=cfg.max_payment_lag_days),
            max_value=as_of,
            strict_max=True,
            notes="no claim serviced on or after as_of (it cannot be known yet)",
        ),
        expect.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="paid_date", column_B="service_date", or_equal=True, ignore_row_if="either_value_is_missing"
        ),
        expect.ExpectColumnValuesToMatchRegex(
            column="category",
            regex=_loose_text(transform.claim_categories),
            notes="transform.claim_categories, any case",
        ),
        expect.ExpectColumnValuesToBeBetween(column="amount", min_value=0.0),
        expect.ExpectColumnValuesToBeBetween(
            column="amount",
            max_value=cfg.max_claim_amount,
            meta={"param": f"validate.max_claim_amount = {cfg.max_claim_amount:g}"},
        ),
    ]
    return _suite("claims", out)


def claims_clients_suite() -> ExpectationSuite:
    """Every claim's client exists in ``clients`` (on :func:`claims_clients_frame`)."""
    expect = gxe()
    return _suite(
        "claims_clients",
        [
            expect.ExpectTableColumnsToMatchSet(column_set=[RELATION_COLUMN], exact_match=True),
            expect.ExpectColumnTypeToBe(column=RELATION_COLUMN, type_="Int64"),
            expect.ExpectColumnValuesToBeNull(
                column=RELATION_COLUMN, notes="the client id of each claim whose client is not in clients"
            ),
        ],
    )


def features_suite(
    extract: ExtractParams,
    transform: TransformParams,
    cfg: ValidateParams,
    rows: int | None = None,
    clients: int | None = None,
    target_quantiles: Mapping[float, float] | None = None,
    backtest_years: int = 0,
) -> ExpectationSuite:
    """The feature table: ``rows`` as the load receipt says, at most one row per cutoff and extracted client.

    Cutoffs with a target: the training ones and the ``backtest_years`` before them. ``target_quantiles``
    (the observed quantiles of the training target) go into the quantile bounds' failure messages.
    """
    expect = gxe()
    from great_expectations.expectations.row_conditions import Column

    kinds = feature_kinds(transform)
    _require("validate.value_sets", cfg.value_sets, transform.categorical)
    target = transform.target
    years, scoring = extract.training_years(transform.training_years + backtest_years), extract.scoring_year
    training, many = years[-1], len(years) > 1  # one training year: the expectations as they always were
    out = _schema("features", kinds, cfg, rows, strict_not_null=transform.key, skip_null_rate=[target])
    if clients is not None:
        out.append(
            expect.ExpectTableRowCountToBeBetween(
                min_value=1,
                max_value=(len(years) + 1) * int(clients),
                notes=f"{len(years) if many else 'one'} training and one scoring row per client at most",
            )
        )
    out += [
        expect.ExpectCompoundColumnsToBeUnique(column_list=list(transform.key)),
        expect.ExpectColumnValuesToBeInSet(column="year", value_set=[*years, scoring]),
        expect.ExpectColumnValuesToBeBetween(
            column=CUTOFF_COLUMN, min_value=dt.datetime(years[0], 1, 1), max_value=dt.datetime(scoring, 1, 1)
        ),
        expect.ExpectColumnValuesToBeBetween(column="age", min_value=cfg.age[0], max_value=cfg.age[1]),
        expect.ExpectColumnValuesToBeBetween(column="tenure_years", min_value=0.0),
        expect.ExpectColumnValuesToBeBetween(column="months_enrolled_prev", min_value=0.0, max_value=12.0),
    ]
    for column in transform.categorical:
        out.append(expect.ExpectColumnValuesToBeInSet(column=column, value_set=list(cfg.value_sets[column])))
    for column in transform.flags:
        out.append(expect.ExpectColumnValuesToBeInSet(column=column, value_set=[0.0, 1.0]))
    for column, (low, high) in transform.valid_ranges.items():
        out.append(expect.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high))
    cost_bound = {"param": f"validate.max_history_cost = {cfg.max_history_cost:g}"}
    for column in history_columns(transform):
        if column == "claims_prev1":  # a count of claims, not dollars
            out.append(expect.ExpectColumnValuesToBeBetween(column=column, min_value=0.0))
        elif column != "cost_trend":  # a difference of two years' costs: negative when costs fell
            out.append(expect.ExpectColumnValuesToBeBetween(column=column, min_value=0.0))
            out.append(
                expect.ExpectColumnValuesToBeBetween(column=column, max_value=cfg.max_history_cost, meta=cost_bound)
            )
    out += [
        expect.ExpectColumnValuesToBeBetween(column=target, min_value=0.0),
        expect.ExpectColumnValuesToNotBeNull(
            column=target,
            row_condition=Column("year").is_in(years) if many else Column("year") == training,
            notes=f"training rows ({f'{years[0]}-{training}' if many else training}) have a target",
        ),
        expect.ExpectColumnValuesToBeNull(
            column=target,
            row_condition=Column("year") == scoring,
            notes=f"scoring rows ({scoring}) have none yet (no leak from the future)",
        ),
        expect.ExpectColumnMeanToBeBetween(
            column=target,
            min_value=cfg.target.mean[0],
            max_value=cfg.target.mean[1],
            meta={"param": f"validate.target.mean = [{cfg.target.mean[0]:g}, {cfg.target.mean[1]:g}]"},
        ),
    ]
    # ExpectColumnQuantileValuesToBeBetween cannot be used: in great_expectations 1.24.1 its
    # result holds numpy booleans that the results store fails to serialise (TypeError), so
    # the whole validation run dies. Its equivalent with `mostly`: the q-quantile is at most
    # `high` when a share q of the values is at most `high`, and at least `low` when a share
    # 1 - q of the values is at least `low`.
    observed = dict(target_quantiles or {})
    for q, (low, high) in sorted(cfg.target.quantiles.items()):
        seen = {"observed": f"quantile {q:g} = {observed[q]:.6g}"} if q in observed else {}
        out.append(
            expect.ExpectColumnValuesToBeBetween(
                column=target,
                max_value=high,
                mostly=q,
                notes=f"quantile {q:g} of {target} <= {high:g}",
                meta={"param": f"validate.target.quantiles.{q:g} high = {high:g}", **seen},
            )
        )
        out.append(
            expect.ExpectColumnValuesToBeBetween(
                column=target,
                min_value=low,
                mostly=round(1.0 - q, 6),
                notes=f"quantile {q:g} of {target} >= {low:g}",
                meta={"param": f"validate.target.quantiles.{q:g} low = {low:g}", **seen},
            )
        )
    return _suite("features", out)
