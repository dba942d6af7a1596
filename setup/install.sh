#!/usr/bin/env bash
# Install everything PlotForge needs on Debian 12 (bookworm) with Python 3.11:
#   1. the Debian packages in setup/debian-packages.txt and setup/r-packages.txt (R from Debian,
#      redis-server, chromium, bubblewrap, fonts, poppler), only those not yet installed;
#   2. a virtual environment at .venv with the project and its test dependencies;
#   3. our small R stand-ins (pacman, ggplotify) into .venv/R-library.
# It is safe to run again: each step does only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

mapfile -t wanted < <(grep -hv '^[[:space:]]*#' setup/debian-packages.txt setup/r-packages.txt | awk 'NF {print $1}')
missing=()
for package in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[test]'

if [ -f plugin_sdk/runtime/r/install_standins.sh ]; then
  bash plugin_sdk/runtime/r/install_standins.sh .venv/R-library
fi
echo "setup: done (.venv ready)"
