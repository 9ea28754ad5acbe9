#!/usr/bin/env bash
# The pull-request check's steps (.github/workflows/classroom.yml), as a script CI and the kit's tests run.
#
# Trust: KIT is a checkout of the trusted base branch (or of a pinned release): its grader, suites and
# labs/*/lab.toml grade. SUBMISSION is the pull request's checkout: only its labs/labNN-*/ folders are
# read, as data (copied, then graded with --path); nothing of it is installed, imported or run here,
# and whatever it changes outside labs/ is reported and never used.
#
#   classroom_grade.sh install KIT VENV            install KIT's grader into a new virtualenv VENV
#   classroom_grade.sh changed KIT SUBMISSION      print the lab folders SUBMISSION changes, one a line
#   classroom_grade.sh grade KIT SUBMISSION LAB REPORTS
#                                                  grade SUBMISSION/labs/LAB with KIT's policy
#   classroom_grade.sh all KIT SUBMISSION REPORTS  grade every changed lab; exit 1 if one fails
#
# Environment: GRADE_PYTHON (the grader's Python; default VENV/bin/python of `install`, or
# $KIT/../grader-venv/bin/python), GRADE_RUNNER (docker), GRADE_SUITES (a teacher's private suites).
set -euo pipefail

usage() { sed -n '2,16p' "$0" >&2; exit 2; }

lab_name_ok() { [[ "$1" =~ ^lab[0-9]{2}-[a-z0-9-]+$ ]]; }

# Lab folders of SUBMISSION that differ from KIT's; to stderr, what else differs (ignored).
changed() {
  local kit=$1 submission=$2 path lab
  declare -A labs=()
  while IFS= read -r path; do
    case "$path" in
      labs/*/*)
        lab=${path#labs/}
        lab=${lab%%/*}
        if lab_name_ok "$lab" && [[ -f "$kit/labs/$lab/lab.toml" ]]; then
          labs[$lab]=1
        else
          echo "ignored (not a lab of the kit): $path" >&2
        fi
        ;;
      *) echo "ignored (outside labs/; the base branch's version is used): $path" >&2 ;;
    esac
  done < <(
    diff -rq --no-dereference -x .git "$kit" "$submission" 2>/dev/null \
      | sed -n -e "s|^Files $kit/\(.*\) and $submission/.* differ\$|\1|p" \
        -e "s|^Only in $submission/*\([^:]*\): \(.*\)\$|\1/\2|p" -e "s|^Only in $kit/*\([^:]*\): \(.*\)\$|\1/\2|p" \
      | sed -e 's|^/||'
  )
  if ((${#labs[@]})); then printf '%s\n' "${!labs[@]}" | sort; fi
}

grade_one() {
  local kit=$1 submission=$2 lab=$3 reports=$4 python work code=0
  lab_name_ok "$lab" || { echo "not a lab folder name: $lab" >&2; return 2; }
  [[ -f "$kit/labs/$lab/lab.toml" ]] || { echo "the kit has no lab $lab" >&2; return 2; }
  [[ -d "$submission/labs/$lab" && ! -L "$submission/labs/$lab" ]] || {
    echo "the pull request has no folder labs/$lab" >&2
    return 2
  }
  python=${GRADE_PYTHON:-$(cd "$kit/.." && pwd)/grader-venv/bin/python}
  mkdir -p "$reports"
  reports=$(cd "$reports" && pwd)
  work=$(mktemp -d)
  # the lab folder as data: symlinks copied as links (no runner follows them out of the copy)
  cp -R -P "$submission/labs/$lab" "$work/$lab"
  # -I: neither the working directory nor PYTHON* variables reach the grader's imports
  (cd "$work" && GRADE_ROOT=$(cd "$kit" && pwd) "$python" -I -m grader "$lab" --path "$work/$lab" \
    --runner "${GRADE_RUNNER:-docker}" ${GRADE_SUITES:+--suites "$GRADE_SUITES"} \
    --json "$reports/$lab.json" --junit "$reports/$lab.junit.xml") || code=$?
  rm -rf "$work"
  return "$code"
}

command=${1:-}
case "$command" in
  install)
    (($# == 3)) || usage
    python3 -m venv "$3"
    "$3/bin/python" -m pip install --quiet "$2"
    ;;
  changed)
    (($# == 3)) || usage
    changed "$2" "$3"
    ;;
  grade)
    (($# == 5)) || usage
    grade_one "$2" "$3" "$4" "$5"
    ;;
  all)
    (($# == 4)) || usage
    status=0
    labs=$(changed "$2" "$3")
    [[ -n "$labs" ]] || { echo "This pull request changes no lab folder: nothing to grade."; exit 0; }
    for lab in $labs; do
      echo "== $lab"
      code=0
      grade_one "$2" "$3" "$lab" "$4" || code=$?
      if ((code > status)); then status=$code; fi
    done
    exit "$status"
    ;;
  *) usage ;;
esac
