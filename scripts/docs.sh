#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds Documentation/vi915 with Sphinx in the build root into out/docs;
# any warning fails.
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/buildroot.sh"
mkdir -p "$OUT"
in_buildroot sphinx-build -q -W -b html /top/Documentation/vi915 /top/out/docs ||
	die "the documentation does not build cleanly"
log "documentation in out/docs/index.html"
