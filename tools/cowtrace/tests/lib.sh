# SPDX-License-Identifier: GPL-2.0
#
# Shared by run-tests.sh (host) and vm-tests.sh (guest): the result lines and
# the check of one cowtrace error path.  Set LAYER and WORK before sourcing.

passed=0
failed=0
# Each result is followed on stderr by the seconds since the one before
# (bash's SECONDS: no fork), so a slow lane's log says where its time went.
_t_last=$SECONDS
_took() { echo "took $((SECONDS - _t_last))s: $LAYER/$1" >&2; _t_last=$SECONDS; }
pass() { echo "PASS $LAYER/$1"; passed=$((passed + 1)); _took "$1"; }
fail() { echo "FAIL $LAYER/$1: $2"; failed=$((failed + 1)); _took "$1"; }

# run_cmd CMD...: runs CMD, keeps its status and output in $rc, $out, $err.
run_cmd() {
	"$@" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	out=$(cat "$WORK/out")
	err=$(cat "$WORK/err")
}

# check_error NAME WANT_RC TEXT CMD...: one error path: the exit status,
# exactly one line on stderr, and that line names TEXT.
check_error() {
	local name=$1 want_rc=$2 text=$3 lines
	shift 3
	run_cmd "$@"
	lines=$(wc -l <"$WORK/err")
	if [ "$rc" != "$want_rc" ]; then
		fail "$name" "exit $rc, want $want_rc (stderr: $err)"
	elif [ "$lines" != 1 ]; then
		fail "$name" "$lines lines on stderr, want one: $err"
	elif [[ "$err" != "cowtrace: "*"$text"* ]]; then
		fail "$name" "message '$err' lacks '$text'"
	else
		pass "$name"
	fi
}
