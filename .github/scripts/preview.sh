#!/usr/bin/env bash
# A pull request's view of one cloud stack: `pulumi preview` with the policy pack, the offline
# readiness rules and the cost estimate, each written to the job summary ($GITHUB_STEP_SUMMARY).
# Every input comes from the environment (set by the workflow from `vars`), never from the
# workflow text: CLOUD (aws|azure|gcp), PULUMI_ORG (empty for a self-managed backend),
# GCP_PROJECT (gcp only). Runs every part, then fails if any part failed.
set -uo pipefail

: "${CLOUD:?CLOUD is required (aws, azure or gcp)}"
stack="${PULUMI_ORG:+$PULUMI_ORG/}${CLOUD}"
summary="${GITHUB_STEP_SUMMARY:-/dev/stdout}"
plan_args=(--stack "$CLOUD")
if [ "$CLOUD" = gcp ]; then
  : "${GCP_PROJECT:?set the repository variable GCP_PROJECT (docs/ci.md)}"
  plan_args+=(--set "gcp:project=${GCP_PROJECT}")
  pulumi config set gcp:project "$GCP_PROJECT" --stack "$stack"
fi

failed=0
# One part: run it, keep the log whole, put its last 60 000 characters in the summary (a job
# summary holds at most 1 MiB per step).
part() {
  local title="$1"
  shift
  local out
  out="$(mktemp)"
  "$@" >"$out" 2>&1
  local status=$?
  cat "$out"
  {
    echo "### ${title} $([ "$status" -eq 0 ] && echo "(ok)" || echo "(failed: exit ${status})")"
    echo '```'
    tail -c 60000 "$out"
    echo '```'
  } >>"$summary"
  [ "$status" -eq 0 ] || failed=1
}

echo "## Stack ${stack}" >>"$summary"
part "pulumi preview --policy-pack policy" \
  pulumi preview --stack "$stack" --policy-pack policy --non-interactive --diff
part "readiness (python -m infra.plan --check)" \
  venv/bin/python -m infra.plan "${plan_args[@]}" --check
part "cost estimate (python -m infra.plan --cost)" \
  venv/bin/python -m infra.plan "${plan_args[@]}" --cost
exit "$failed"
