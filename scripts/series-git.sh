#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The series as a git branch, to edit it as kernel developers do (commit,
# rebase -i, amend) and to give it back as git format-patch output:
#
#   scripts/series-git.sh branch [DIR]  DIR (default $VI915_CACHE/series)
#       becomes a git repository: its first commit is the pristine
#       linux-source-7.3 tree (tag "base"), and branch "vi915" has patches/
#       applied on it with git am, one commit a patch. An existing DIR is
#       replaced.
#   scripts/series-git.sh export [DIR]  patches/ is regenerated from DIR's
#       branch "vi915" with git format-patch: a cover letter (subject and
#       text from the branch description, base-commit), one file a commit,
#       and patches/series.
#
# Every commit's identity and dates come from the patches, and the base
# commit's are fixed, so the same series always gives the same commits and
# an export changes only what the branch changed.
. "$(dirname "$0")/lib.sh"

mode=${1:?usage: series-git.sh branch|export [DIR]}
dir=${2:-$CACHE/series}
host_need git git

IDENT_NAME="vi915 developers"
IDENT_EMAIL="vi915@localhost"
export GIT_COMMITTER_NAME=$IDENT_NAME GIT_COMMITTER_EMAIL=$IDENT_EMAIL
export GIT_AUTHOR_NAME=$IDENT_NAME GIT_AUTHOR_EMAIL=$IDENT_EMAIL
g() { git -C "$dir" -c core.autocrlf=false -c gc.auto=0 "$@"; }

# The cover letter's subject and text, as a branch description: a first
# paragraph (the subject), a blank line, the text up to git's shortlog.
cover_description() {
	awk '
		/^Subject: / { sub(/^Subject: (\[[^]]*\] )?/, ""); subject = $0; insubj = 1; next }
		insubj && /^ / { subject = subject $0; next }
		{ insubj = 0 }
		/^$/ && !body { print subject; print ""; body = 1; next }
		body && /^[^ ].* \([0-9]+\):$/ { exit }
		body { print }
	' "$1" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
}

# kernel_version MAKEFILE: the 7.3.y the top-level Makefile says.
kernel_version() {
	awk -F' = ' '$1 == "VERSION" { v = $2 } $1 == "PATCHLEVEL" { p = $2 }
		$1 == "SUBLEVEL" { print v "." p "." $2; exit }' "$1"
}

case $mode in
branch)
	"$TOP/scripts/buildroot.sh"
	tarball=$BUILDROOT$LINUX_SOURCE_TARBALL
	version=$(in_buildroot dpkg-query -W -f '${Version}' linux-source-7.3)
	log "series: pristine linux-source-7.3 $version into $dir"
	rm -rf --one-file-system "$dir"
	mkdir -p "$dir"
	tar -xf "$tarball" -C "$dir" --strip-components=1
	g init -q -b vi915
	g add -A -f
	GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z" \
		g commit -q -m "Linux $(kernel_version "$dir/Makefile") (Debian linux-source-7.3 $version)"
	g tag base
	while read -r p; do
		g am -q --committer-date-is-author-date "$TOP/patches/$p" ||
			die "series: $p does not apply with git am (see $dir)"
	done <"$TOP/patches/series"
	cover=$TOP/patches/0000-cover-letter.patch
	[ -f "$cover" ] && g config branch.vi915.description "$(cover_description "$cover")"
	log "series: $(wc -l <"$TOP/patches/series") commits on branch vi915 in $dir"
	;;
export)
	[ -d "$dir/.git" ] || die "series: no branch in $dir (scripts/series-git.sh branch)"
	[ -z "$(g status --porcelain --untracked-files=no)" ] ||
		die "series: $dir has uncommitted changes"
	g config branch.vi915.description >/dev/null ||
		die "series: branch vi915 has no description for the cover letter (git branch --edit-description)"
	rm -f "$TOP"/patches/*.patch
	g format-patch -q --cover-letter --cover-from-description=subject --base=base \
		--no-signature --zero-commit -o "$TOP/patches" base..vi915
	# The cover letter's date is the newest commit's, not the time of export.
	sed -i "0,/^Date: /s/^Date: .*/Date: $(g log -1 --format=%aD vi915)/" \
		"$TOP/patches/0000-cover-letter.patch"
	(cd "$TOP/patches" && ls [0-9][0-9][0-9][0-9]-*.patch | grep -v '^0000-cover-letter') \
		>"$TOP/patches/series"
	log "series: $(wc -l <"$TOP/patches/series") patches in patches/"
	;;
*) die "usage: series-git.sh branch|export [DIR]" ;;
esac
