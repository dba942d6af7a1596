#!/bin/sh
# Install PlotForge's stand-ins for two R packages that Debian does not carry
# and that nearly every Hiplot script calls: pacman (attach only, never
# install) and ggplotify (as.ggplot on gridGraphics). They are built from the
# source folders next to this script; nothing is downloaded.
#
#   plugin_sdk/runtime/r/install_standins.sh <library-folder>
#
# The runtime puts that folder first on .libPaths() (PLOTFORGE_R_LIBS).
set -eu

if [ "$#" -ne 1 ]; then
  echo "usage: $0 <R library folder>" >&2
  exit 2
fi

lib=$1
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$lib"

# R CMD INSTALL builds from the folders directly and test-loads each package,
# so a missing dependency (ggplot2, gridGraphics) fails here, not in a job.
R CMD INSTALL --no-docs --no-html --no-multiarch --library="$lib" \
  "$here/standins/pacman" "$here/standins/ggplotify"
