#!/usr/bin/env bash
# Set up a virtual environment (.venv unless one is active), install sklearn-paws with its test and
# simulation extras, and run the test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh "test,simulate"
python -m pytest "$@"
