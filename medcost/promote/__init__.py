"""The promote stage: log the candidate model to MLflow, register a version and move the registry aliases.

MLflow 3 replaced registry stages with aliases. medcost keeps ONE registered model
(``promote.model_name``) and this lifecycle:

- **register**: each distinct model file (sha256, stored as the version tag ``model_sha256``)
  becomes one version, with alias ``challenger`` (the newest version). Promoting the same
  file again registers nothing: it re-applies the verdicts to the existing version. Each
  promote is an MLflow *pipeline run* with a nested run per trained model (see
  :mod:`~medcost.promote.runs`); rerunning the same promote (same inputs) logs no new run.
- **champion** (production): only if the quality and drift verdicts pass, the candidate
  beats the current champion significantly on the current test set (both scored on the same
  rows, ``models:/<name>@champion`` loaded with pyfunc: the paired bootstrap lower bound of
  the RMSE improvement at ``promote.confidence`` is above ``promote.min_rmse_improvement`` x
  the champion's RMSE, see :mod:`~medcost.promote.significance`) AND the model comes from
  committed code, SQL and params outside ``dvc exp run`` (else it stays ``challenger``, unless
  ``promote.allow_uncommitted: true``). The replaced champion gets ``previous``.
- **archived**: a version failing its gates is tagged ``lifecycle=archived`` and never gets
  ``champion`` (if its verdicts pass on a later run, it is re-evaluated).
- **rollback**: ``champion`` goes back to the version holding ``previous``; the version rolled
  back from is archived with ``archived_reason=rollback`` (promote never re-promotes it) and
  ``previous`` is removed, so a second rollback says there is nothing to roll back to.

Every version carries its lineage as tags: git commit and ``git_dirty``, the DVC hashes
(dvc.lock) of the data and model file it came from, the params sections, the verdicts and
the DVC experiment name when run by ``dvc exp run``.

Modules: :mod:`~medcost.promote.session` (tracking store, client, lock),
:mod:`~medcost.promote.signature` (model inputs and answers),
:mod:`~medcost.promote.served` (log a version as the checking served model), :mod:`~medcost.promote.lineage` (tags),
:mod:`~medcost.promote.decision` (verdicts, candidate, crown or not),
:mod:`~medcost.promote.significance` (the paired bootstrap comparison with the champion),
:mod:`~medcost.promote.promotion` (what a promote is about), :mod:`~medcost.promote.registry` (register, move
aliases), :mod:`~medcost.promote.runs` (the pipeline run
and a nested run per trained model, with datasets and the decision as its description),
:mod:`~medcost.promote.plan` (the decision recorded before any move, so a rerun after a crash
completes it), :mod:`~medcost.promote.moves` (the idempotent moves; resuming) and
:mod:`~medcost.promote.versions` (look up versions, roll back, status). The command line
(``python -m medcost.registry status|rollback``) is the :mod:`medcost.registry` tool.
"""

from medcost.promote.decision import Verdicts, choose_candidate, decide, read_verdicts
from medcost.promote.lineage import (
    SOURCE_PATHS,
    Lineage,
    dvc_hashes,
    file_sha256,
    flatten,
    git_commit,
    git_dirty,
    git_tags,
    lineage_from_tags,
    lineage_tags,
    read_lineage,
    run_metrics,
    verdict_tags,
)
from medcost.promote.promotion import DatasetRef, Promotion, TrainedModel
from medcost.promote.registry import MODEL_DESCRIPTION, promote
from medcost.promote.runs import decision_note
from medcost.promote.served import log_served_model
from medcost.promote.session import (
    ACTIVE,
    ALIASES,
    ARCHIVED,
    CHALLENGER,
    CHAMPION,
    DEFAULT_TRACKING_URI,
    PREVIOUS,
    default_artifact_location,
    is_mlflow_error,
    mlflow_session,
    quiet_mlflow,
    registry_lock,
    shown_uri,
    tracking_uri,
)
from medcost.promote.signature import (
    TRUSTED_MODULES,
    coerce_inputs,
    input_types,
    model_signature,
    pyfunc_answers,
    pyfunc_input_types,
    pyfunc_predict,
    skops_trusted_types,
)
from medcost.promote.significance import is_significant, paired_improvement
from medcost.promote.versions import champion_version, current_aliases, find_version, model_exists, rollback, status

__all__ = [
    "ACTIVE",
    "ALIASES",
    "ARCHIVED",
    "DatasetRef",
    "CHALLENGER",
    "CHAMPION",
    "DEFAULT_TRACKING_URI",
    "Lineage",
    "MODEL_DESCRIPTION",
    "PREVIOUS",
    "SOURCE_PATHS",
    "TRUSTED_MODULES",
    "Promotion",
    "TrainedModel",
    "Verdicts",
    "champion_version",
    "choose_candidate",
    "coerce_inputs",
    "current_aliases",
    "decide",
    "decision_note",
    "default_artifact_location",
    "dvc_hashes",
    "file_sha256",
    "find_version",
    "flatten",
    "git_commit",
    "git_dirty",
    "git_tags",
    "input_types",
    "is_mlflow_error",
    "is_significant",
    "lineage_from_tags",
    "lineage_tags",
    "log_served_model",
    "mlflow_session",
    "model_exists",
    "model_signature",
    "paired_improvement",
    "promote",
    "pyfunc_answers",
    "pyfunc_input_types",
    "pyfunc_predict",
    "quiet_mlflow",
    "read_lineage",
    "read_verdicts",
    "registry_lock",
    "rollback",
    "run_metrics",
    "shown_uri",
    "skops_trusted_types",
    "status",
    "tracking_uri",
    "verdict_tags",
]
