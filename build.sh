#!/usr/bin/env bash
# The main job: build + pack the RetryAnalyzers package, then build and run the demo against the packed package.
set -euo pipefail
cd "$(dirname "$0")"

echo "==> pack: artifacts/nupkg/ (deterministic: /_/ source paths, SourceLink, .nupkg + .snupkg)"
# -m:1: the package project asks for the analyzer projects' outputs while they build; in parallel, two builds once
# raced on bin/Release/netstandard2.0/RetryAnalyzers.deps.json ("used by another process"). Serial costs a few seconds.
dotnet pack src/RetryAnalyzers.Package/RetryAnalyzers.Package.csproj -c Release -o artifacts/nupkg -p:ContinuousIntegrationBuild=true -m:1
echo "==> pack: RetryAnalyzers.Runtime.Redis (lib only; depends on RetryAnalyzers and StackExchange.Redis)"
dotnet pack src/RetryAnalyzers.Runtime.Redis/RetryAnalyzers.Runtime.Redis.csproj -c Release -o artifacts/nupkg -p:ContinuousIntegrationBuild=true -m:1
echo "==> pack: RetryAnalyzers.Runtime.AI (lib only; Microsoft.Extensions.AI middleware; depends on RetryAnalyzers and Microsoft.Extensions.AI)"
dotnet pack src/RetryAnalyzers.Runtime.AI/RetryAnalyzers.Runtime.AI.csproj -c Release -o artifacts/nupkg -p:ContinuousIntegrationBuild=true -m:1

echo "==> demo build (references the packed package; its build shows the RA0001 warnings)"
rm -rf artifacts/sample-packages/retryanalyzers
dotnet build samples/RetryAnalyzers.Demo/RetryAnalyzers.Demo.csproj -c Release --no-incremental 2>&1 | tee artifacts/demo-build.log
grep -q "warning RA0001" artifacts/demo-build.log || { echo "expected RA0001 warnings in the demo build" >&2; exit 1; }
if grep "warning RA" artifacts/demo-build.log | grep -v "LegacyRetries.cs"; then
  echo "the demo's recommended code must raise none of our warnings (only LegacyRetries.cs is bad on purpose)" >&2; exit 1
fi

echo "==> demo run"
dotnet run --project samples/RetryAnalyzers.Demo/RetryAnalyzers.Demo.csproj -c Release --no-build

# The seed case end to end (issue 15; analyzers-docs/seed-demo.md): the naive orchestrator's warnings, the package's
# fixes applied to a copy by `dotnet format analyzers` (no hand edit after), and both runs against a local provider.
SEED=artifacts/seed-demo
export SEED_PACKAGES="$PWD/artifacts/sample-packages"
echo "==> seed demo: build the naive orchestrator (samples/SeedOrchestrator; must show RA0001, RA0003 and RA0004)"
dotnet build samples/SeedOrchestrator/SeedOrchestrator.csproj -c Release --no-incremental > artifacts/seed-naive-build.log 2>&1 || { cat artifacts/seed-naive-build.log; exit 1; }
grep -o "[^/ ]*\.cs([0-9,]*): warning RA[0-9]*: .*\[" artifacts/seed-naive-build.log | sed 's/ \[$//' | sort -u || true
for id in RA0001 RA0003 RA0004; do
  grep -q "warning $id" artifacts/seed-naive-build.log || { echo "expected $id in the naive orchestrator's build" >&2; exit 1; }
done

echo "==> seed demo: copy it to $SEED/ and apply the fixes: dotnet format analyzers --diagnostics RA0001 RA0002 RA0003 RA0004 --severity warn"
rm -rf "$SEED" && mkdir -p "$SEED"
cp samples/Directory.Build.props samples/Directory.Build.targets samples/Directory.Packages.props "$SEED/"
sed 's#"\.\./artifacts/nupkg"#"../nupkg"#' samples/nuget.config > "$SEED/nuget.config"   # the same package source, seen from $SEED
cp -r samples/SeedOrchestrator "$SEED/SeedOrchestrator"
rm -rf "$SEED/SeedOrchestrator/bin" "$SEED/SeedOrchestrator/obj"
FIXED_PROJECT="$SEED/SeedOrchestrator/SeedOrchestrator.csproj"
RestorePackagesPath="$SEED_PACKAGES" dotnet restore "$FIXED_PROJECT" > artifacts/seed-fixed-restore.log 2>&1 || { cat artifacts/seed-fixed-restore.log; exit 1; }
RestorePackagesPath="$SEED_PACKAGES" dotnet format analyzers "$FIXED_PROJECT" --diagnostics RA0001 RA0002 RA0003 RA0004 --severity warn \
  --no-restore -v diag > artifacts/seed-format.log 2>&1 || { tail -n 40 artifacts/seed-format.log; exit 1; }
grep -E "Unable to fix|Failed to apply|No associated code fix|doesn't support Fix All|Formatted code file" artifacts/seed-format.log | sed "s#$PWD/##g" || true
diff -ru -x bin -x obj samples/SeedOrchestrator "$SEED/SeedOrchestrator" > artifacts/seed-fix.diff || true
[[ -s artifacts/seed-fix.diff ]] || { echo "dotnet format changed nothing in the copy" >&2; exit 1; }
cat artifacts/seed-fix.diff

echo "==> seed demo: build the fixed copy as dotnet format left it"
RestorePackagesPath="$SEED_PACKAGES" dotnet build "$FIXED_PROJECT" -c Release --no-restore > artifacts/seed-fixed-build.log 2>&1 || { cat artifacts/seed-fixed-build.log; exit 1; }
echo "warnings left:"; grep -o "[^/ ]*\.cs([0-9,]*): warning [A-Z]*[0-9]*: .*\[" artifacts/seed-fixed-build.log | sed 's/ \[$//' | sort -u || echo "  none"
if grep -q -E "warning (RA0001|RA0004|CS1030)" artifacts/seed-fixed-build.log; then
  echo "the fixed copy still has RA0001/RA0004 or a #warning placeholder: the fixes did not apply as the demo needs" >&2; exit 1
fi

echo "==> seed demo: run both against the local rate-limited provider (about 75 s)"
dotnet build samples/SeedDemo/SeedDemo.csproj -c Release > artifacts/seed-demo-build.log 2>&1 || { cat artifacts/seed-demo-build.log; exit 1; }
dotnet run --project samples/SeedDemo/SeedDemo.csproj -c Release --no-build -- \
  samples/SeedOrchestrator/bin/Release/net10.0/SeedOrchestrator.dll "$SEED/SeedOrchestrator/bin/Release/net10.0/SeedOrchestrator.dll"
