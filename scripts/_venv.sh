# Sourced by the scripts in this folder: activate a virtual environment with sklearn-paws installed.
# Uses the active one when there is one, otherwise creates .venv in the repository root.
if [ -z "${VIRTUAL_ENV:-}" ]; then
    if [ ! -x .venv/bin/python ]; then
        python3 -m venv .venv
    fi
    # shellcheck disable=SC1091
    source .venv/bin/activate
fi
# torch first and pinned: an unpinned torch would pull a multi-GB CUDA build.
python -m pip install --quiet --disable-pip-version-check "torch==2.13.0"
python -m pip install --quiet --disable-pip-version-check -e ".[$1]"
