#!/usr/bin/env sh
# mypy over every sub-package: pyproject.toml maps the top-level folders (datasets/, inference/, ...) into the
# tankerwatch package, which mypy cannot follow, so lay that package out as links under build/typecheck first.
set -eu
cd "$(dirname "$0")/.."
tree=build/typecheck/tankerwatch
rm -rf build/typecheck
mkdir -p "$tree"
for f in tankerwatch/*; do ln -s "../../../$f" "$tree/$(basename "$f")"; done
for d in configs datasets models training inference; do ln -s "../../../$d" "$tree/$d"; done
cd build/typecheck
exec mypy --config-file ../../pyproject.toml -p tankerwatch "$@"
