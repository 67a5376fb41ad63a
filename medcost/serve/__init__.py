"""The serve tool: the registry's champion over REST with MLflow's scoring server (``python -m medcost.serve``)."""

from medcost.serve.app import build_app, client_message, strict_json
from medcost.serve.serve import DEFAULT_HOST, DEFAULT_PORT, main, serve

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "build_app", "client_message", "main", "serve", "strict_json"]
