"""The serve tool: the registry's champion over REST with ``mlflow models serve`` (``python -m medcost.serve``)."""

from medcost.serve.serve import DEFAULT_HOST, DEFAULT_PORT, main, serve, serve_command, serve_env

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "main", "serve", "serve_command", "serve_env"]
