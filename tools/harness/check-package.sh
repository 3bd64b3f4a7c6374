#!/usr/bin/env bash
# Checks the packed package the way users' tools see it, for every rule sample in tests/harness-sample:
#   consume-nupkg.sh  a fresh consumer build: exactly the marked warnings, no analyzer load/run problem, SARIF
#   format-fix.sh     `dotnet format analyzers` applies the fixes and the result builds (folders without "-nofix")
#   lsp-check.sh      an editor over LSP: squiggle, lightbulb, apply the first fix (rules reported as you type)
# The expected counts come from the `// RAxxxx` markers, the same ones HarnessSampleTests checks in `dotnet test`.
# Usage: tools/harness/check-package.sh [HARNESS_DIR [FOLDER...]]   (default ../shared/harness and every folder; run `bash build.sh` first)
set -euo pipefail
cd "$(dirname "$0")/../.."
harness="${1:-../shared/harness}"
only=" ${*:2} "
nupkgs=artifacts/nupkg
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props)
[ -f "$nupkgs/RetryAnalyzers.$version.nupkg" ] || { echo "no $nupkgs/RetryAnalyzers.$version.nupkg: run bash build.sh first" >&2; exit 2; }

# Sample folders whose diagnostics need the whole compilation (reported at its end): no squiggle per open document.
# (RA0003-peritem is RA0003's per-item case, reported as you type: it gets the editor check.)
compilation_end="RA0003"
failed=()
for dir in tests/harness-sample/*/; do
  name=$(basename "$dir")
  [[ "$only" == "  " || "$only" == *" $name "* ]] || continue
  packages=()
  grep -qh "^using Polly" "$dir"*.cs && packages+=(--package Polly@8.9.1)
  grep -qh "^using OpenAI" "$dir"*.cs && packages+=(--package OpenAI@2.1.0)
  grep -qh "^using Polly.Extensions.Http" "$dir"*.cs && packages+=(--package Polly.Extensions.Http@3.0.0)
  grep -qhE "AddPolicyHandler|AddTransientHttpErrorPolicy" "$dir"*.cs && packages+=(--package Microsoft.Extensions.Http.Polly@8.0.8)
  grep -qhE "AddStandardResilienceHandler|HttpRetryStrategyOptions|HttpClientResiliencePredicates" "$dir"*.cs && packages+=(--package Microsoft.Extensions.Http.Resilience@9.0.0)
  expects=()
  ids=()
  for id in $(grep -ohE '// (RA[0-9]{4})(, *RA[0-9]{4})*$' "$dir"*.cs | grep -oE 'RA[0-9]{4}' | sort -u); do
    count=$(grep -ohE "// (RA[0-9]{4}, *)*$id(, *RA[0-9]{4})*\$" "$dir"*.cs | wc -l)
    expects+=(--expect "$id=$count")
    ids+=("$id")
  done
  rule=${name%%-*}
  echo "===== $name: ${expects[*]}"
  bash "$harness/consume-nupkg.sh" "${expects[@]}" "${packages[@]}" "$nupkgs" RetryAnalyzers "$version" "$dir" > "/tmp/harness-$name-consume.log" 2>&1 \
    && echo "consume: PASS" || { echo "consume: FAIL (/tmp/harness-$name-consume.log)"; failed+=("$name consume"); }
  if [[ "$name" != *-nofix ]]; then
    bash "$harness/format-fix.sh" --severity warn "${packages[@]}" "$nupkgs" RetryAnalyzers "$version" "$dir" "$rule" > "/tmp/harness-$name-format.log" 2>&1 \
      && echo "format-fix: PASS" || { echo "format-fix: FAIL (/tmp/harness-$name-format.log)"; failed+=("$name format-fix"); }
    if [[ " $compilation_end " != *" $name "* ]]; then
      file=$(grep -lE "// (RA[0-9]{4}, *)*$rule" "$dir"*.cs | head -1)
      bash "$harness/lsp-check.sh" "${packages[@]}" "$nupkgs" RetryAnalyzers "$version" "$dir" "$(basename "$file")" -- --ids "$rule" --apply first > "/tmp/harness-$name-lsp.log" 2>&1 \
        && echo "lsp-check: PASS" || { echo "lsp-check: FAIL (/tmp/harness-$name-lsp.log)"; failed+=("$name lsp-check"); }
    else
      echo "lsp-check: skipped ($name holds compilation-end diagnostics: builds and full-solution analysis show them)"
    fi
  fi
done
if ((${#failed[@]})); then echo "FAILED: ${failed[*]}"; exit 1; fi
echo "check-package: PASS"
