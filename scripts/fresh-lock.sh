#!/bin/sh
# Regenerate dvc.lock and the git-tracked metrics and plots as a fresh clone produces them: clone
# HEAD into a temporary folder (empty registry, no DVC cache, no lakehouse), `make run` there,
# push its outputs to the default DVC remote, and copy every tracked file the run changed back
# here. Commit them, then `dvc pull` here to check the outputs out. Run it from a clean tree.
set -eu
root=$(git rev-parse --show-toplevel)
if [ -n "$(git -C "$root" status --porcelain --untracked-files=no)" ]; then
    echo "error: fresh-lock: commit first (the clone is of HEAD, so uncommitted changes would be lost)" >&2
    exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/medcost-fresh.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
git clone -q "$root" "$tmp/repo"
ln -s "$(readlink -f "$root/.venv")" "$tmp/repo/.venv"
# no MLFLOW_TRACKING_URI, no MEDCOST_SOURCE_URL: the embedded registry and demo source, as a newcomer has them
(cd "$tmp/repo" && env -u MLFLOW_TRACKING_URI -u MEDCOST_SOURCE_URL make run && .venv/bin/dvc push -q)
# tracked files the run changed, and new ones it made that git does not ignore (a new stage's metrics)
changed=$(git -C "$tmp/repo" status --porcelain --untracked-files=all | cut -c4-)
for path in $changed; do
    mkdir -p "$(dirname "$root/$path")"
    cp "$tmp/repo/$path" "$root/$path"
done
echo "fresh-lock: changed or made by a fresh clone's run (git add the new ones): ${changed:-nothing}"
