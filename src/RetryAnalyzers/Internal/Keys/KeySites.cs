using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace RetryAnalyzers.Internal;

/// <summary>Finds key hand-offs to provider clients and resolves where their keys come from.</summary>
internal static class KeySites
{
    public const int MaxDepth = 6;

    private static readonly string[] RegistrationNamespaces = { "Microsoft.SemanticKernel", "OpenAI", "Anthropic", "AutoGen" };

    /// <summary>The key site of a creation, an invocation or an assignment, or null.</summary>
    /// <param name="operation">The operation.</param>
    /// <param name="sharedBudget">The runtime's <c>SharedProviderBudget</c> type, resolved once per compilation (null when not referenced).</param>
    public static KeySite? Find(IOperation operation, INamedTypeSymbol? sharedBudget) => operation switch
    {
        IObjectCreationOperation creation => FromCreation(creation, sharedBudget),
        IInvocationOperation invocation => FromInvocation(invocation),
        ISimpleAssignmentOperation assignment => FromAuthorization(assignment),
        _ => null,
    };

    /// <summary>A <c>…Client</c> type of an LLM SDK namespace (OpenAI, Azure OpenAI, Anthropic).</summary>

    private static KeySite? FromCreation(IObjectCreationOperation creation, INamedTypeSymbol? sharedBudget)
    {
        var type = creation.Type;
        if (IsCredential(type))
        {
            // Given straight to a client: the client creation is the site.
            var parent = creation.Parent;
            while (parent is IConversionOperation)
            {
                parent = parent.Parent;
            }

            if (parent is IArgumentOperation { Parent: IObjectCreationOperation owner } && ProviderClients.Is(owner.Type))
            {
                return null;
            }

            return creation.Arguments.Length >= 1 ? Site(KeySiteShape.Credential, creation.Arguments[0].Value, budgeted: false) : null;
        }

        if (!ProviderClients.Is(type) || CallsLoopback(creation))
        {
            return null;
        }

        var budgeted = UsesSharedBudget(creation, sharedBudget);
        foreach (var argument in creation.Arguments)
        {
            if (argument.Parameter is { } parameter && IsKeyParameter(parameter))
            {
                var value = argument.Value.WithoutConversions();
                var key = value is IObjectCreationOperation credential && IsCredential(credential.Type) && credential.Arguments.Length >= 1
                    ? credential.Arguments[0].Value
                    : argument.Value;
                return Site(KeySiteShape.ClientCreation, key, budgeted);
            }
        }

        // new AnthropicClient { ApiKey = key }
        foreach (var member in creation.Initializer is { } initializer ? initializer.Initializers : ImmutableArray<IOperation>.Empty)
        {
            if (member is ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Property.Name: var name } } assignment &&
                name.Equals("ApiKey", StringComparison.OrdinalIgnoreCase))
            {
                return Site(KeySiteShape.ClientCreation, assignment.Value, budgeted);
            }
        }

        return null;
    }

    private static KeySite? FromInvocation(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;

        // headers.Add("x-api-key", key), headers.TryAddWithoutValidation("Authorization", "Bearer " + key)
        if (method.Name is "Add" or "TryAddWithoutValidation" && InheritsFrom(method.ContainingType, "HttpHeaders", "System.Net.Http.Headers") &&
            invocation.Arguments.Length == 2 &&
            invocation.Arguments[0].Value.ConstantValue is { HasValue: true, Value: string header } &&
            (header.Equals("x-api-key", StringComparison.OrdinalIgnoreCase) || header.Equals("api-key", StringComparison.OrdinalIgnoreCase) ||
             header.Equals("Authorization", StringComparison.OrdinalIgnoreCase)))
        {
            return Site(KeySiteShape.Header, invocation.Arguments[1].Value, budgeted: false);
        }

        // builder.AddOpenAIChatCompletion(modelId, apiKey): a registration that builds a client. Not a helper that
        // builds one request (CreatePost(request, endpoint, apiKey)).
        if (method.Name.StartsWith("Add", StringComparison.Ordinal) && ProviderClients.InNamespace(method.ContainingType, RegistrationNamespaces))
        {
            foreach (var argument in invocation.Arguments)
            {
                if (argument.Parameter is { Type.SpecialType: SpecialType.System_String } parameter &&
                    parameter.Name.Equals("apiKey", StringComparison.OrdinalIgnoreCase) && argument.ArgumentKind == ArgumentKind.Explicit)
                {
                    return Site(KeySiteShape.Registration, argument.Value, budgeted: false);
                }
            }
        }

        return null;
    }

    // headers.Authorization = new AuthenticationHeaderValue("Bearer", key)
    private static KeySite? FromAuthorization(ISimpleAssignmentOperation assignment)
    {
        if (assignment.Target is not IPropertyReferenceOperation { Property: { Name: "Authorization" } property } ||
            !InheritsFrom(property.ContainingType, "HttpHeaders", "System.Net.Http.Headers") ||
            assignment.Value.WithoutConversions() is not IObjectCreationOperation { Arguments.Length: 2 } value ||
            value.Type?.Name != "AuthenticationHeaderValue")
        {
            return null;
        }

        return Site(KeySiteShape.Header, value.Arguments[1].Value, budgeted: false);
    }

    private static KeySite? Site(KeySiteShape shape, IOperation key, bool budgeted)
    {
        var part = KeyPart(key);
        return (Resolve(key, depth: 0) ?? Describe(part)) is { } source ? new KeySite(shape, part, source, budgeted) : null;
    }

    // A parameter, a local, or a member of another object (options.ApiKey): named by its code, never by its value.
    private static KeySource? Describe(IOperation key)
    {
        var value = key is ICoalesceOperation coalesce ? coalesce.Value.WithoutConversions() : key;
        switch (value)
        {
            case IParameterReferenceOperation parameter:
                return new KeySource(KeySourceKind.Expression, "parameter:" + parameter.Parameter.Name, parameter.Parameter.Name);
            case ILocalReferenceOperation local:
                return new KeySource(KeySourceKind.Expression, "local:" + local.Local.Name, local.Local.Name);
            case IMemberReferenceOperation { Instance: { } instance } member when member is IFieldReferenceOperation or IPropertyReferenceOperation { Arguments.Length: 0 } &&
                                                                                  Describe(instance.WithoutConversions()) is { } owner:
                return new KeySource(KeySourceKind.Expression, owner.Id + "." + member.Member.Name, owner.Name + "." + member.Member.Name);
            default:
                return null;
        }
    }

    // "Bearer " + key → key: the part a fix replaces.
    private static IOperation KeyPart(IOperation key)
    {
        var value = key.WithoutConversions();
        return value switch
        {
            IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } concatenation when concatenation.LeftOperand.ConstantValue.HasValue => KeyPart(concatenation.RightOperand),
            IInterpolatedStringOperation { Parts.Length: 2 } interpolated when interpolated.Parts[1] is IInterpolationOperation hole => KeyPart(hole.Expression),
            _ => value,
        };
    }

    /// <summary>Where the key comes from; null when it cannot be told (a parameter, a call into other code).</summary>
    public static KeySource? Resolve(IOperation key, int depth)
    {
        if (depth > MaxDepth)
        {
            return null;
        }

        var value = key.WithoutConversions();
        if (value.ConstantValue is { HasValue: true, Value: string literal })
        {
            // A blank placeholder (" " for clients authenticated some other way) or a bare prefix ("Bearer ") is not a key.
            return IsKeyLiteral(literal) ? new KeySource(KeySourceKind.Literal, "literal:" + literal, string.Empty) : null;
        }

        if (Wrapped(value) is { } inner)
        {
            return Resolve(inner, depth + 1);
        }

        switch (value)
        {
            case IInvocationOperation { TargetMethod.Name: "GetEnvironmentVariable" } environment when
                environment.TargetMethod.ContainingType?.Name == "Environment" && environment.Arguments.Length >= 1 &&
                environment.Arguments[0].Value.ConstantValue is { HasValue: true, Value: string variable }:
                return new KeySource(KeySourceKind.Environment, "env:" + variable, variable);
            case IInvocationOperation { TargetMethod.Name: "GetValue" or "GetConnectionString" } configured when
                configured.Arguments.Length >= 2 && IsConfiguration(configured.Arguments[0].Value.Type) &&
                configured.Arguments[1].Value.ConstantValue is { HasValue: true, Value: string path }:
                return Configuration(ConfigurationPrefix(configured.Arguments[0].Value) + path);
            case IPropertyReferenceOperation { Arguments.Length: 1 } indexer when IsConfiguration(indexer.Instance?.Type) &&
                indexer.Arguments[0].Value.ConstantValue is { HasValue: true, Value: string path }:
                return Configuration(ConfigurationPrefix(indexer.Instance!) + path);
            case ILocalReferenceOperation local:
                return LocalInitializers.Find(local.Local, local) is { } initializer ? Resolve(initializer, depth + 1) : null;
            // Secrets.OpenAIKey, _apiKey, this.Key: a member of a type or of this object. A member of some other object
            // (AgentKeys.Resolve(…).Reveal(), options.ApiKey) depends on that object: not a known source.
            case IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field:
                return Member(field.Field);
            case IPropertyReferenceOperation { Arguments.Length: 0, Instance: null or IInstanceReferenceOperation } property:
                return Member(property.Property);
            default:
                return null;
        }
    }

    /// <summary>
    /// The key inside a wrapper that keeps its value: <c>"Bearer " + key</c>, <c>$"Bearer {key}"</c>, <c>key ?? fallback</c>,
    /// <c>new ApiKeyCredential(key)</c>; null when <paramref name="value"/> is none of these.
    /// </summary>
    public static IOperation? Wrapped(IOperation value) => value switch
    {
        IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } concatenation when concatenation.LeftOperand.ConstantValue.HasValue => concatenation.RightOperand,
        IInterpolatedStringOperation { Parts.Length: 2 } interpolated when interpolated.Parts[1] is IInterpolationOperation hole => hole.Expression,
        ICoalesceOperation coalesce => coalesce.Value,
        IObjectCreationOperation credential when IsCredential(credential.Type) && credential.Arguments.Length >= 1 => credential.Arguments[0].Value,
        _ => null,
    };

    private static KeySource Configuration(string path) => new(KeySourceKind.Configuration, "config:" + path.ToUpperInvariant(), path);

    // configuration.GetSection("OpenAI")["ApiKey"] → "OpenAI:"
    private static string ConfigurationPrefix(IOperation receiver)
        => receiver.WithoutConversions() is IInvocationOperation { TargetMethod.Name: "GetSection", Arguments.Length: >= 1 } section &&
           section.Arguments[section.Arguments.Length - 1].Value.ConstantValue is { HasValue: true, Value: string name }
            ? name + ":"
            : string.Empty;

    // A member's initializer, read from its syntax (it may be in another file): Environment.GetEnvironmentVariable("X"),
    // configuration["X"], "literal", or `?? throw`. Anything else: the member itself is the source.
    private static KeySource Member(ISymbol member)
    {
        foreach (var reference in member.DeclaringSyntaxReferences)
        {
            var initializer = reference.GetSyntax() switch
            {
                VariableDeclaratorSyntax declarator => declarator.Initializer?.Value,
                PropertyDeclarationSyntax declaration => declaration.Initializer?.Value ?? declaration.ExpressionBody?.Expression,
                _ => null,
            };
            if (initializer is not null && FromSyntax(initializer) is { } origin)
            {
                return origin;
            }
        }

        var name = member.ContainingType is { } type ? type.Name + "." + member.Name : member.Name;
        return new KeySource(KeySourceKind.Member, "member:" + member.ToDisplayString(), name);
    }

    private static KeySource? FromSyntax(ExpressionSyntax expression)
    {
        switch (expression)
        {
            case PostfixUnaryExpressionSyntax suppressed when suppressed.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.SuppressNullableWarningExpression):
                return FromSyntax(suppressed.Operand);
            case ParenthesizedExpressionSyntax parenthesized:
                return FromSyntax(parenthesized.Expression);
            case BinaryExpressionSyntax coalesce when coalesce.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.CoalesceExpression):
                return FromSyntax(coalesce.Left);
            case InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "GetEnvironmentVariable" }, ArgumentList.Arguments.Count: >= 1 } environment
                when environment.ArgumentList.Arguments[0].Expression is LiteralExpressionSyntax variable:
                return new KeySource(KeySourceKind.Environment, "env:" + variable.Token.ValueText, variable.Token.ValueText);
            case ElementAccessExpressionSyntax { ArgumentList.Arguments.Count: 1 } access
                when access.ArgumentList.Arguments[0].Expression is LiteralExpressionSyntax path && access.Expression.ToString().IndexOf("onfig", StringComparison.OrdinalIgnoreCase) >= 0:
                return Configuration(path.Token.ValueText);
            case LiteralExpressionSyntax literal when literal.Token.Value is string text && IsKeyLiteral(text):
                return new KeySource(KeySourceKind.Literal, "literal:" + text, string.Empty);
            default:
                return null;
        }
    }

    // new OpenAIClient(key, new OpenAIClientOptions { Endpoint = new Uri("http://localhost:11434/v1") }): a local model
    // server (Ollama, LM Studio, vLLM on this machine) has no provider rate limit for agents to share.
    private static bool CallsLoopback(IObjectCreationOperation creation)
    {
        foreach (var operation in creation.Descendants())
        {
            if (operation is ILiteralOperation { ConstantValue: { HasValue: true, Value: string url } } &&
                Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.IsLoopback && (uri.Scheme == "http" || uri.Scheme == "https"))
            {
                return true;
            }
        }

        return false;
    }

    // A hard-coded string is a provider key only if it could be one: real keys are long (OpenAI, Azure, Anthropic and
    // Gemini keys are 32 characters or more) and have no spaces; "ollama", "api-key", "dummy-key", "EMPTY",
    // "your-api-key-here" are placeholders for local model servers and samples, with no provider limit to share.
    private const int MinimumKeyLength = 16;

    private static readonly string[] PlaceholderWords = { "your", "dummy", "fake", "placeholder", "example", "sample", "xxx", "replace", "insert", "changeme", "not-needed", "notneeded", "ollama", "lm-studio", "lmstudio", "<", "{" };

    public static bool IsKeyLiteral(string text)
    {
        var key = text.Trim();
        if (key.Length < MinimumKeyLength || key.IndexOf(' ') >= 0)
        {
            return false;
        }

        foreach (var word in PlaceholderWords)
        {
            if (key.IndexOf(word, StringComparison.OrdinalIgnoreCase) >= 0)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsKeyParameter(IParameterSymbol parameter)
    {
        var name = parameter.Name;
        var keyName = name.Equals("apiKey", StringComparison.OrdinalIgnoreCase) || name.Equals("openAIApiKey", StringComparison.OrdinalIgnoreCase) ||
                      name.Equals("credential", StringComparison.OrdinalIgnoreCase) || name.Equals("keyCredential", StringComparison.OrdinalIgnoreCase);
        return keyName && (parameter.Type.SpecialType == SpecialType.System_String || IsCredential(parameter.Type));
    }

    public static bool IsCredential(ITypeSymbol? type)
        => type is { Name: "ApiKeyCredential", ContainingNamespace: var ns } && ns.ToDisplayString() == "System.ClientModel" ||
           type is { Name: "AzureKeyCredential", ContainingNamespace: var azure } && azure.ToDisplayString() == "Azure" ||
           type is { Name: "APIAuthentication" } && ProviderClients.InNamespace(type as INamedTypeSymbol, new[] { "Anthropic" });

    private static bool IsConfiguration(ITypeSymbol? type)
        => type is not null && type.Name is "IConfiguration" or "IConfigurationRoot" or "IConfigurationSection" or "ConfigurationManager" or "ConfigurationRoot" or "ConfigurationSection";

    // Options that route the client's HTTP through the runtime's shared budget (RA0003's second fix).
    private static bool UsesSharedBudget(IObjectCreationOperation creation, INamedTypeSymbol? shared)
    {
        if (shared is null)
        {
            return false;
        }

        foreach (var operation in creation.Descendants())
        {
            if (operation is IPropertyReferenceOperation property && SymbolEqualityComparer.Default.Equals(property.Property.ContainingType, shared))
            {
                return true;
            }
        }

        return false;
    }

    private static bool InheritsFrom(INamedTypeSymbol? type, string name, string ns)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (current.Name == name && current.ContainingNamespace?.ToDisplayString() == ns)
            {
                return true;
            }
        }

        return false;
    }

}
