#!/usr/bin/env bash
# `pulumi up` of one staging stack with the image CI built once, promoted by digest.
# Environment (set by the workflow): CLOUD (aws|azure|gcp), PULUMI_ORG (empty for a
# self-managed backend), SOURCE_IMAGE (ghcr.io/owner/repo), DIGEST (sha256:...),
# GHCR_TOKEN (the job's GITHUB_TOKEN, packages: read), GCP_PROJECT (gcp only).
#
# The workload may pull only from its stack's own registry (ECR, ACR, Artifact Registry: the
# grants the program makes), so the image is copied there byte for byte first (skopeo
# --preserve-digests fails rather than change the digest), and the stack runs
# `<its repository>@<digest>` through llmchain:image.ref (docs/configuration.md). A stack that
# has never been deployed has no registry yet: its first `up` builds from app/ instead, and
# every later one promotes.
set -euo pipefail

: "${CLOUD:?}" "${SOURCE_IMAGE:?}" "${DIGEST:?}" "${GHCR_TOKEN:?}"
case "$DIGEST" in sha256:*) ;; *) echo "DIGEST must be sha256:..., got '$DIGEST'" >&2; exit 1 ;; esac
stack="${PULUMI_ORG:+$PULUMI_ORG/}${CLOUD}"
if [ "$CLOUD" = gcp ]; then
  : "${GCP_PROJECT:?set the repository variable GCP_PROJECT (docs/ci.md)}"
  pulumi config set gcp:project "$GCP_PROJECT" --stack "$stack"
fi

# The stack's repository: its last image_ref without the digest; empty before the first up.
repository="$(pulumi stack output image_ref --stack "$stack" 2>/dev/null || true)"
repository="${repository%@*}"
repository="${repository%:*}"

if [ -n "$repository" ]; then
  registry="${repository%%/*}"
  command -v skopeo >/dev/null || { sudo apt-get update -qq && sudo apt-get install -y -qq skopeo; }
  printf '%s' "$GHCR_TOKEN" | skopeo login --username "${GITHUB_ACTOR:-github}" --password-stdin ghcr.io
  case "$CLOUD" in
    # https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry_auth.html (read 2026-11-29)
    aws) aws ecr get-login-password | skopeo login --username AWS --password-stdin "$registry" ;;
    # https://learn.microsoft.com/en-us/azure/container-registry/container-registry-authentication (read 2026-11-29)
    azure) az acr login --name "${registry%%.*}" --expose-token --output tsv --query accessToken |
      skopeo login --username 00000000-0000-0000-0000-000000000000 --password-stdin "$registry" ;;
    # https://cloud.google.com/artifact-registry/docs/docker/authentication (read 2026-11-29)
    gcp) gcloud auth print-access-token |
      skopeo login --username oauth2accesstoken --password-stdin "$registry" ;;
    *) echo "unknown CLOUD '$CLOUD'" >&2; exit 1 ;;
  esac
  # ECR tags are immutable here: copy only when the digest is not there yet.
  if ! skopeo inspect --raw "docker://${repository}@${DIGEST}" >/dev/null 2>&1; then
    skopeo copy --all --preserve-digests \
      "docker://${SOURCE_IMAGE}@${DIGEST}" "docker://${repository}:${DIGEST/:/-}"
  fi
  pulumi config set llmchain:image.ref "${repository}@${DIGEST}" --stack "$stack"
  echo "promoting ${SOURCE_IMAGE}@${DIGEST} as ${repository}@${DIGEST}"
else
  echo "stack ${stack} has no image_ref yet (first deploy): this up builds the image from app/"
fi

pulumi up --stack "$stack" --policy-pack policy --yes --non-interactive --diff
echo "url: $(pulumi stack output url --stack "$stack")"
