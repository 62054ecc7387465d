#!/usr/bin/env bash
# Set up a virtual environment (.venv unless one is active), install sklearn-paws with its docs
# extra, and build the HTML documentation into docs/_build/html. Warnings are errors. The gallery
# examples run in quick mode (SKLEARN_PAWS_DOCS_QUICK=1: small samples, few epochs) unless the
# caller sets SKLEARN_PAWS_DOCS_QUICK=0. Extra arguments go to sphinx-build.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh "docs"
export SKLEARN_PAWS_DOCS_QUICK="${SKLEARN_PAWS_DOCS_QUICK:-1}"
export MPLBACKEND=Agg
# The examples train small networks, which gain nothing from more torch threads; threads that
# compete for busy cores only burn CPU time. Set OMP_NUM_THREADS to override.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
sphinx-build -W --keep-going -b html "$@" docs docs/_build/html
echo "Documentation: docs/_build/html/index.html"
