using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(RetryAnalyzers.Benchmarks.BudgetBenchmarks).Assembly).Run(args);
