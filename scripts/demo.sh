#!/usr/bin/env bash
# Set up a virtual environment (.venv unless one is active), install sklearn-paws with its plotting
# extra, and run the PAWS study on the embedded default dataset. Extra arguments go to
# `sklearn-paws demo` (default: the quick profile).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh "plot"
sklearn-paws -v demo "$@"
