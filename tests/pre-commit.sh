#!/usr/bin/env bash
# The hooks of .pre-commit-hooks.yaml, run by the real pre-commit (PyPI, pinned below) in a
# throwaway entitlements repository, as a team would: `pre-commit install`, then `git commit`.
# A commit of valid manifests goes through; a commit of an invalid one is refused and the
# output names file:line:column; a commit without YAML skips the hook.
#
# The hooks' repository is a commit of this working tree, uncommitted changes included.
# By default the `language: system` hook runs, with target/debug/entitle on PATH (build it
# first). HOOK=local runs instead the `repo: local` hook docs/manifests.md shows (the same
# entitle on PATH, no hooks' repository). HOOK=entitle-validate runs the `language: rust` hook:
# pre-commit then builds entitle with `cargo install` (a release build from scratch, several
# minutes), so CI leaves it out.
#
# Usage: tests/pre-commit.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=4.7.0
hook=${HOOK:-entitle-validate-system}

if [ "$hook" != entitle-validate ]; then
  if [ ! -x "$root/target/debug/entitle" ]; then
    echo "tests/pre-commit.sh: build entitle first (cargo build)" >&2
    exit 1
  fi
  export PATH="$root/target/debug:$PATH"
fi

venv="$root/target/pre-commit-$version"
if ! "$venv/bin/pre-commit" --version 2>/dev/null | grep -qx "pre-commit $version"; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "pre-commit==$version"
fi
export PATH="$venv/bin:$PATH"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# pre-commit's clones and environments, and git's identity, of this run only.
export PRE_COMMIT_HOME="$work/cache"
export GIT_CONFIG_GLOBAL="$work/gitconfig" GIT_CONFIG_NOSYSTEM=1
git config --global user.name "pre-commit test"
git config --global user.email "test@example.com"
git config --global init.defaultBranch main

repo="$work/fleet"
mkdir -p "$repo/manifests"
if [ "$hook" = local ]; then
  # The configuration docs/manifests.md shows, as written there.
  cat > "$repo/.pre-commit-config.yaml" <<'EOF'
repos:
  - repo: local
    hooks:
      - id: entitle-validate
        name: entitle validate
        entry: entitle validate
        language: system            # the entitle on PATH
        files: \.ya?ml$
        pass_filenames: false
        args: [manifests]           # the default; name other files or directories here
EOF
else
  # The hooks' repository: the working tree's files (tracked, and untracked but not ignored).
  hooks="$work/entitle"
  mkdir "$hooks"
  (cd "$root" && git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
    | tar --null -T - -cf -) | tar -C "$hooks" -xf -
  git -C "$hooks" init -q
  git -C "$hooks" add -A
  git -C "$hooks" commit -q -m "entitle, as tested"
  rev=$(git -C "$hooks" rev-parse HEAD)
  cat > "$repo/.pre-commit-config.yaml" <<EOF
repos:
  - repo: $hooks
    rev: $rev
    hooks:
      - id: $hook
EOF
fi
cd "$repo"
git init -q
pre-commit install >/dev/null

fail() {
  echo "tests/pre-commit.sh ($hook): $1" >&2
  [ -z "${2:-}" ] || printf '%s\n' "$2" >&2
  exit 1
}

# Valid manifests: the hook passes and the commit is made.
cp "$root"/manifests/examples/*.yaml manifests/
git add -A
out=$(git commit -m "the fleet" 2>&1) || fail "a commit of valid manifests was refused" "$out"
grep -q "^entitle validate\.*Passed$" <<<"$out" || fail "the hook did not pass" "$out"

# No YAML in the commit: the hook does not run.
echo "notes" > NOTES.txt
git add NOTES.txt
out=$(git commit -m "notes" 2>&1) || fail "a commit without YAML was refused" "$out"
grep -q "^entitle validate\.*(no files to check)Skipped$" <<<"$out" || fail "the hook ran" "$out"

# A misspelt key: the commit is refused, the output names the place.
head=$(git rev-parse HEAD)
cp "$root/tests/fixtures/manifests/misspelt-key/acme.yaml" manifests/acme.yaml
git add -A
if out=$(git commit -m "a typo" 2>&1); then
  fail "a commit of an invalid manifest went through" "$out"
fi
[ "$(git rev-parse HEAD)" = "$head" ] || fail "the refused commit was made" "$out"
grep -q "^entitle validate\.*Failed$" <<<"$out" || fail "the hook did not fail" "$out"
want="error: manifests/acme.yaml:7:5: unknown field \`extentions\`, did you mean \`extensions\`? [unknown-field]"
grep -qxF "$want" <<<"$out" || fail "the output does not name the place: $want" "$out"

echo "pre-commit $version: $hook passes valid manifests, refuses an invalid one at file:line:column"
