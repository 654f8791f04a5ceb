#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# contrib/bash-completion/cowtrace against cowtrace itself: its option
# lists must equal the options each subcommand's --help prints, and its
# subcommands those of cowtrace --help's USAGE (so neither can drift); then
# a few completions, sourced with Debian's bash-completion, word by word.
# One "PASS completion/<name>" or "FAIL completion/<name>: why" line each.

set -u
cd "$(dirname "$0")/.." || exit 1
COWTRACE=$PWD/cowtrace
COMPLETION=$(cd ../.. && pwd)/contrib/bash-completion/cowtrace
BASH_COMPLETION=/usr/share/bash-completion/bash_completion
WORK=$(mktemp -d /tmp/cowtrace-completion.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
LAYER="completion" # used by lib.sh
# shellcheck source=tools/cowtrace/tests/lib.sh
. tests/lib.sh

if [ ! -r "$BASH_COMPLETION" ]; then
	fail prerequisite "$BASH_COMPLETION missing: install Debian's bash-completion (scripts/deps does)"
	echo "$passed passed, $failed failed"
	exit 1
fi

# Options of a --help text (argp's "  -x, --long=ARG" and verify's "  --all").
help_opts() {
	grep -E '^ +-' | grep -oE '(^|[ ,])--?[A-Za-z][A-Za-z-]*' | tr -d ' ,' | sort -u | tr '\n' ' '
}
script_var() {
	bash -c '. "$1"; echo "${!2}"' sh "$COMPLETION" "$1" 2>/dev/null | tr -s ' \t\n' '\n' |
		sed '/^$/d' | sort -u | tr '\n' ' '
}
for sub in main top status export verify; do
	if [ $sub = main ]; then help=$("$COWTRACE" --help); else help=$("$COWTRACE" $sub --help); fi
	want=$(help_opts <<<"$help")
	got=$(script_var "_cowtrace_opts_$sub")
	if [ -n "$want" ] && [ "$want" = "$got" ]; then
		pass "options_$sub"
	else
		fail "options_$sub" "--help has '$want', the completion '$got'"
	fi
done
want=$("$COWTRACE" --help | grep -oE '^ *(USAGE:)? +cowtrace [a-z]+' | awk '{print $NF}' | sort -u | tr '\n' ' ')
got=$(script_var _cowtrace_subcommands)
[ -n "$want" ] && [ "$want" = "$got" ] && pass subcommands ||
	fail subcommands "cowtrace --help names '$want', the completion '$got'"

# complete LINE: what the completion offers for LINE (cursor at its end).
complete_line() {
	bash -c '
		. "$1"; . "$2"
		compopt() { :; }
		line=$3
		read -ra COMP_WORDS <<<"$line"
		[[ $line == *" " ]] && COMP_WORDS+=("")
		COMP_LINE=$line COMP_POINT=${#line} COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMPREPLY=()
		_cowtrace
		printf "%s\n" "${COMPREPLY[@]}" | sort -u | tr "\n" " "
	' sh "$BASH_COMPLETION" "$COMPLETION" "$1" 2>&1
}
check_complete() { # NAME LINE WANT
	local got
	got=$(complete_line "$2")
	[ "$got" = "$3" ] && pass "$1" || fail "$1" "'$2' completes to '$got', want '$3'"
}
check_complete subcommand_prefix "cowtrace ex" "export "
check_complete subcommand_all "cowtrace " "export status top verify "
check_complete export_options "cowtrace export --t" "--textfile --top "
check_complete top_sort_keys "cowtrace top -s f" "faults forks "
check_complete backend_values "cowtrace --backend " "auto bpf module "
check_complete main_long_option "cowtrace --le" "--leader-only "
check_complete events_kinds "cowtrace --events --kind r" "race retry reuse "
check_complete events_kinds_list "cowtrace --events --kind copy,sh" "copy,shared-write "
check_complete events_options "cowtrace --even" "--events --events-buffer "
check_complete status_selftest "cowtrace status --se" "--selftest "
check_complete command_after_dashdash "cowtrace -j -- bas" "$(compgen -c bas | sort -u | tr '\n' ' ')"
mkdir -p "$WORK/textfile.d"
touch "$WORK/textfile.x"
check_complete textfile_dirs "cowtrace export --textfile $WORK/textf" "$WORK/textfile.d "
# -c: a cgroup directory (absolute here, so that the host's mounts do not
# matter); export's -c is a count and completes nothing.
check_complete cgroup_dirs "cowtrace -c $WORK/textf" "$WORK/textfile.d "
check_complete top_cgroup_dirs "cowtrace top -c $WORK/textf" "$WORK/textfile.d "
check_complete export_count_nothing "cowtrace export -c $WORK/textf" " "

echo "$passed passed, $failed failed"
[ $failed = 0 ]
