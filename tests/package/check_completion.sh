#!/usr/bin/env bash
# Shell completion end to end (docs/packaging.md "Completion"): a small store made here, the generated bash
# script sourced in `bash -c` with COMP_WORDS/COMP_CWORD set as bash sets them (also split at '=' and ':'),
# the completion function called, COMPREPLY compared with what the store and --help hold. The zsh script
# runs the same way with compadd/_files/compset standing in for the completion system.
#
#   check_completion.sh CHRONOSCOPE_CLI GENERATED_COMPLETION_DIR
set -euo pipefail
CLI=$(realpath "$1") DIR=$(realpath "$2")
scratch=$(mktemp -d)
bindir=$(mktemp -d) # outside $scratch, where file names are completed
trap 'rm -rf "$scratch" "$bindir"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

store="$scratch/small.chronoscope"
"$CLI" demo --events 2000 -o "$store" >/dev/null
# The truth: stream names from the CLI's own listing.
"$CLI" streams "$store" | python3 -c 'import json, sys; [print(json.loads(l)["stream"]) for l in sys.stdin]' >"$scratch/streams"
pay=$(grep -c '^payment-' "$scratch/streams")
((pay > 0)) || { echo "FAIL: the demo store has no payment streams" >&2; exit 1; }
mkdir -p "$scratch/dir with space" && touch "$scratch/revenue.js" "$scratch/notes.txt"

# Runs the bash completion for the given COMP_WORDS (the last one being completed) and prints COMPREPLY.
# CLI_PATH puts the binary under test first on PATH as "chronoscope-cli".
mkdir -p "$bindir" && ln -s "$CLI" "$bindir/chronoscope-cli"
complete_bash() {
    local func=$1
    shift
    (cd "$scratch" && PATH="$bindir:$PATH" bash --norc --noprofile -c '
        source "$0"
        func=$1; shift
        COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
        "$func"
        printf "%s\n" "${COMPREPLY[@]}"' "$DIR/chronoscope.bash" "$func" "$@")
}

# expect_bash DESCRIPTION MODE WANT -- WORDS...: MODE "has" (WANT is one of the replies), "only" (the replies
# are exactly WANT, newline-separated), "count" (the number of replies), "none" (no reply).
expect_bash() {
    local what=$1 mode=$2 want=$3
    shift 4
    local got
    got=$(complete_bash _chronoscope_cli "$@")
    case $mode in
    has) grep -qxF -- "$want" <<<"$got" || fail "$what: '$want' not in: $(head -5 <<<"$got" | tr '\n' ' ')" ;;
    only) [[ $got == "$want" ]] || fail "$what: got '$(tr '\n' ' ' <<<"$got")', want '$(tr '\n' ' ' <<<"$want")'" ;;
    count) [[ $(grep -c . <<<"$got" || true) == "$want" ]] || fail "$what: $(grep -c . <<<"$got" || true) replies, want $want" ;;
    none) [[ -z $got ]] || fail "$what: expected nothing, got '$(head -3 <<<"$got" | tr '\n' ' ')'" ;;
    esac
}

# Commands and options (from the registry, as --help lists them).
expect_bash "commands" only $'state\nstory\nstreams' -- chronoscope-cli st
expect_bash "every command" has "divergence" -- chronoscope-cli ""
expect_bash "help COMMAND" only "import" -- chronoscope-cli help imp
expect_bash "top-level options" only $'--help\n--version' -- chronoscope-cli --
expect_bash "options of state" has "--at-version" -- chronoscope-cli state "$store" --at
expect_bash "an option given once is not offered again" none "" -- chronoscope-cli streams "$store" --match x --ma
expect_bash "unknown command" none "" -- chronoscope-cli frobnicate ""
# Stream names from the store given earlier on the line (the issue's example), in every spelling bash makes.
expect_bash "--stream pay" has "$(grep '^payment-' "$scratch/streams" | head -1)" -- chronoscope-cli state "$store" --stream pay
expect_bash "--stream pay: every payment stream" count "$pay" -- chronoscope-cli state "$store" --stream pay
expect_bash "--stream=pay split at '='" has "$(grep '^payment-' "$scratch/streams" | head -1)" -- chronoscope-cli state "$store" --stream = pay
expect_bash "--stream= with nothing typed yet" count "$(wc -l <"$scratch/streams" | awk '{print ($1 > 500) ? 500 : $1}')" -- chronoscope-cli state "$store" --stream =
expect_bash "--match takes a prefix" has "$(grep '^order-' "$scratch/streams" | head -1)" -- chronoscope-cli streams "$store" --match ord
expect_bash "--match with a glob already typed" none "" -- chronoscope-cli streams "$store" --match 'ord*'
expect_bash "--type names" only "PaymentFailed" -- chronoscope-cli events "$store" --type PaymentF
expect_bash "no such stream" none "" -- chronoscope-cli state "$store" --stream zzz
expect_bash "stream before the store" none "" -- chronoscope-cli state --stream pay
expect_bash "a missing store" none "" -- chronoscope-cli state "$scratch/missing.chronoscope" --stream pay
expect_bash "a remote store is not contacted" none "" -- chronoscope-cli state redis://192.0.2.1:6379/0 --stream pay
printf 'not sqlite\n' >"$scratch/junk.chronoscope"
expect_bash "a file that is no store" none "" -- chronoscope-cli state "$scratch/junk.chronoscope" --stream pay
# A name with a space and a quote: quoted for the shell, so the inserted word is the name.
printf '%s\n' '{"stream":"odd name'"'"'s","type":"X","version":0,"data":{}}' '{"stream":"odd-1","type":"X","version":0,"data":{}}' >"$scratch/odd.ndjson"
"$CLI" import "$scratch/odd.ndjson" -o "$scratch/odd.chronoscope" >/dev/null
expect_bash "a name with a space is quoted" only $'odd\\ name\\\'s\nodd-1' -- chronoscope-cli state "$scratch/odd.chronoscope" --stream odd

# Files: positional arguments, -o, and *.js for --projection.
expect_bash "store argument" has "small.chronoscope" -- chronoscope-cli info sma
expect_bash "folder with a space" has "dir with space" -- chronoscope-cli info di
expect_bash "--projection: *.js and folders" only $'dir with space\nrevenue.js' -- chronoscope-cli state "$store" --projection ""
expect_bash "-o takes a file" has "notes.txt" -- chronoscope-cli demo -o no
expect_bash "no positional left" none "" -- chronoscope-cli info "$store" ""
expect_bash "a value that is a number" none "" -- chronoscope-cli events "$store" --limit ""

# The app: its options (read from chronoscope --help at build time) and --stream from the store.
got=$(complete_bash _chronoscope chronoscope --scr | sort)
[[ $got == $'--screen\n--screenshot\n--screenshot-chapter' ]] || fail "chronoscope --scr: '$got'"
got=$(complete_bash _chronoscope chronoscope --pres)
[[ $got == $'--present\n--presenter' || $got == $'--presenter\n--present' ]] || fail "chronoscope --pres: '$got'"
got=$(complete_bash _chronoscope chronoscope "$store" --stream pay)
grep -qxF "$(grep '^payment-' "$scratch/streams" | head -1)" <<<"$got" || fail "chronoscope --stream pay: '$(head -3 <<<"$got")'"
got=$(complete_bash _chronoscope chronoscope --theme d)
[[ $got == "dark" ]] || fail "chronoscope --theme d: '$got'"

# The same with bash-completion loaded (as in an interactive shell on Debian), when it is installed.
if [[ -f /usr/share/bash-completion/bash_completion ]]; then
    got=$(cd "$scratch" && PATH="$bindir:$PATH" bash --norc --noprofile -c '
        source /usr/share/bash-completion/bash_completion 2>/dev/null || true
        source "$0"
        COMP_WORDS=(chronoscope-cli state "$1" --stream pay); COMP_CWORD=4
        _chronoscope_cli; printf "%s\n" "${COMPREPLY[@]}"' "$DIR/chronoscope.bash" "$store")
    [[ $(grep -c '^payment-' <<<"$got") == "$pay" ]] || fail "with bash-completion loaded: $(head -3 <<<"$got")"
fi

# zsh: the completion system's builtins replaced by functions that print what would be offered.
if command -v zsh >/dev/null; then
    complete_zsh() {
        (cd "$scratch" && PATH="$bindir:$PATH" zsh -f -c '
            compadd() { [[ $1 == -- ]] && shift; print -rl -- "$@" }
            _files() { print -r -- "_files $*" }
            compset() { PREFIX=${PREFIX#*=} }
            script=$0; service=$1; shift
            words=("$@"); CURRENT=$#words; PREFIX=${words[CURRENT]}
            source $script' "$DIR/_chronoscope" "$@")
    }
    got=$(complete_zsh chronoscope-cli chronoscope-cli state "$store" --stream pay)
    [[ $(grep -c '^payment-' <<<"$got") == "$pay" ]] || fail "zsh --stream pay: $(head -3 <<<"$got")"
    got=$(complete_zsh chronoscope-cli chronoscope-cli state "$store" --stream=pay)
    grep -qxF "$(grep '^payment-' "$scratch/streams" | head -1)" <<<"$got" || fail "zsh --stream=pay: $(head -3 <<<"$got")"
    got=$(complete_zsh chronoscope-cli chronoscope-cli st)
    [[ $got == $'state\nstory\nstreams' ]] || fail "zsh commands: '$got'"
    got=$(complete_zsh chronoscope-cli chronoscope-cli state "$store" --projection "")
    [[ $got == "_files -g *.js" ]] || fail "zsh --projection: '$got'"
    got=$(complete_zsh chronoscope chronoscope "$store" --stream pay)
    grep -qxF "$(grep '^payment-' "$scratch/streams" | head -1)" <<<"$got" || fail "zsh chronoscope --stream: $(head -3 <<<"$got")"
fi

if ((failures)); then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "completion OK"
