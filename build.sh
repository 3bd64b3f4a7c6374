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
