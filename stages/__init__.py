"""One thin script per DVC stage: `python -m stages.<name>`."""
