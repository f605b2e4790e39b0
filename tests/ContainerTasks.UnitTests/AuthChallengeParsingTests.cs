using ContainerTasks.Registry.Auth;

namespace ContainerTasks.Tests;

/// <summary>WWW-Authenticate headers as RFC 9110 §11.6.1 allows them, and malformed ones that must not invent challenges.</summary>
public class AuthChallengeParsingTests
{
    // Each case: the header, then the challenges expected, written "Scheme{name=value|name=value}" or "Scheme[token68]".
    [Theory]
    [InlineData("Bearer realm=\"https://a/token\",service=\"x\",scope=\"repository:r:pull\"", "Bearer{realm=https://a/token|service=x|scope=repository:r:pull}")]
    [InlineData("Bearer realm = \"https://a/token\" , service = \"x\"", "Bearer{realm=https://a/token|service=x}")]
    [InlineData("Bearer realm=\t\"https://a/token\",\tservice =x", "Bearer{realm=https://a/token|service=x}")]
    [InlineData("Bearer realm=\"https://a/token\", service=, scope=\"repository:r:pull\"", "Bearer{realm=https://a/token|service=|scope=repository:r:pull}")]
    [InlineData("Bearer realm=\"https://a/token\",service=\"\",scope=\"s\"", "Bearer{realm=https://a/token|service=|scope=s}")]
    [InlineData("Bearer realm=\"https://a/token", "Bearer{realm=https://a/token}")]
    [InlineData("Bearer realm=\"https://a/token\"junk\", service=\"x\"", "Bearer{realm=https://a/token|service=x}")]
    [InlineData("Bearer realm=https://a/token\"x, service=\"x\"", "Bearer{realm=https://a/token\"x|service=x}")]
    [InlineData("Bearer \"realm\"=\"https://a\", service=\"x\"", "Bearer{service=x}")]
    [InlineData("Basic realm=\"a \\\"b\\\" \\\\ c\"", "Basic{realm=a \"b\" \\ c}")]
    [InlineData("Basic realm=\"r\", Bearer realm=\"https://t/token\",service=\"s\"", "Basic{realm=r}", "Bearer{realm=https://t/token|service=s}")]
    [InlineData("Negotiate, Basic realm=\"r\"", "Negotiate{}", "Basic{realm=r}")]
    [InlineData("Negotiate YIIB4wYGKwYBBQUCoII=, Basic realm=\"r\"", "Negotiate[YIIB4wYGKwYBBQUCoII=]", "Basic{realm=r}")]
    [InlineData("Basic dXNlcjpwYXNz", "Basic[dXNlcjpwYXNz]")]
    [InlineData("Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", Basic realm=\"simple\"", "Newauth{realm=apps|type=1|title=Login to \"apps\"}", "Basic{realm=simple}")]
    [InlineData(",, Bearer realm=\"https://a\" ,,", "Bearer{realm=https://a}")]
    [InlineData("BEARER Realm=\"https://a\"", "BEARER{realm=https://a}")]
    [InlineData("", new string[0])]
    [InlineData("\"", new string[0])]
    [InlineData("= , Bearer realm=\"https://a\"", "Bearer{realm=https://a}")]
    public void Challenges_are_read_as_RFC_9110_writes_them_and_malformed_parts_add_no_challenge(string header, params string[] expected)
    {
        Assert.Equal(expected, AuthChallenge.Parse(header).Select(Describe).ToArray());
    }

    [Fact]
    public void Spaces_around_equals_keep_the_realm_service_and_scope_of_a_bearer_challenge()
    {
        AuthChallenge bearer = Assert.Single(AuthChallenge.Parse("Bearer realm = \"https://auth.example/token\" , service = \"registry.example\" , scope = \"repository:a:pull repository:b:push\""));
        Assert.Equal("https://auth.example/token", bearer.Realm);
        Assert.Equal("registry.example", bearer.Service);
        Assert.Equal(["repository:a:pull", "repository:b:push"], bearer.Scopes);
    }

    private static string Describe(AuthChallenge challenge)
        => challenge.Token68 is { } token68
            ? $"{challenge.Scheme}[{token68}]"
            : $"{challenge.Scheme}{{{string.Join('|', challenge.Parameters.Select(p => $"{p.Key.ToLowerInvariant()}={p.Value}"))}}}";
}
