"""The registry tool: ``python -m medcost.registry status|rollback`` over :mod:`medcost.promote`'s registry client."""

from medcost.registry.cli import add_model_arguments, main, model_name, promote_params

__all__ = ["add_model_arguments", "main", "model_name", "promote_params"]
