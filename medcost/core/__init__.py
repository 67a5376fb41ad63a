"""The few things every stage shares: errors, params, IO, secrets, the entry path, the catalog and contracts.

A change here reruns every stage (dvc.yaml lists this folder in every stage's deps), so it stays
small and stable: stage logic lives in the stage's own package.
"""
