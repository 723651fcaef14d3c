# SPDX-License-Identifier: GPL-2.0
# Applying patches/ to a kernel tree. Sourced after lib.sh.

# series_files PATCH...: the files these patches touch, one a line.
series_files() {
	[ $# -gt 0 ] || return 0
	sed -n -e 's|^+++ b/||p' -e 's|^--- a/||p' "$@" | sort -u
}

# series_created PATCH...: the files these patches create, one a line.
series_created() {
	[ $# -gt 0 ] || return 0
	awk '/^--- \/dev\/null$/ { created = 1; next }
		created && /^\+\+\+ b\// { print substr($0, 7) } { created = 0 }' "$@" | sort -u
}

# show_hunk PATCH FILE N: hunk N of FILE in PATCH, for an error message.
show_hunk() {
	awk -v f="$2" -v n="$3" '
		/^--- / { infile = 0 }
		/^\+\+\+ b\// { infile = (substr($0, 7) == f); h = 0; next }
		infile && /^@@ / { h++ }
		infile && h == n && shown < 30 { print "    " $0; shown++ }
	' "$1"
}

# apply_patch DIR PATCH: applies PATCH to the tree in DIR, or stops naming the
# patch, the file and the hunk that failed, with the tree left as it was. No
# fuzz: a hunk whose context moved is a failure, not a guess.
apply_patch() {
	local dir=$1 patch=$2 out file hunk
	if ! out=$(patch -d "$dir" -p1 -F0 -f -N --dry-run <"$patch" 2>&1); then
		printf '%s\n' "$out" | sed 's/^/    /' >&2
		file=""
		while read -r line; do
			case $line in
			"patching file "*) file=${line#patching file } ;;
			"checking file "*) file=${line#checking file } ;;
			"Hunk #"*" FAILED"*)
				hunk=${line#Hunk #}; hunk=${hunk%% *}
				log "$(basename "$patch"): hunk $hunk of $file does not apply:"
				show_hunk "$patch" "$file" "$hunk" >&2 ;;
			esac
		done <<<"$out"
		die "$(basename "$patch") does not apply to $dir"
	fi
	patch -d "$dir" -p1 -F0 -f -N -s <"$patch" >/dev/null
}

# extract_pristine TARBALL DIR FILE...: the FILEs (paths in the tree) that the
# linux-source tarball has, extracted into DIR; those it lacks (files the
# series creates) are skipped.
extract_pristine() {
	local tarball=$1 dir=$2 have
	shift 2
	mapfile -t have < <(tar -tf "$tarball" | sed -n 's|^linux-source-7.3/||p' | sort -u |
		comm -12 - <(printf '%s\n' "$@" | sort -u))
	[ ${#have[@]} = 0 ] || tar -xf "$tarball" -C "$dir" --strip-components=1 \
		"${have[@]/#/linux-source-7.3/}"
}
