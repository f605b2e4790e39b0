using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ContainerTasks.Tests.Infrastructure;

namespace ContainerTasks.Tests;

/// <summary>
/// The CI recipes of docs/ci.md: each is a file of docs/ci/ shown verbatim in docs/ci.md, and each passes its CI's
/// schema — SchemaStore's github-workflow schema (through @action-validator/core), GitLab's CI schema (ci.json, bundled
/// in gitlab-ci-local) — or, for Azure Pipelines, whose schema no package here ships, a YAML parse and the structural
/// checks below. The checkers are npm packages of pinned versions that build/bootstrap.sh installs
/// (build/ci-recipes/package-lock.json); each check is also shown to fail on a broken copy of its recipe.
/// </summary>
public sealed partial class CiRecipeTests
{
    private static readonly string Docs = Path.Combine(Repo.Root, "docs");
    private static readonly string CheckerTools = Path.Combine(Repo.Root, "artifacts", "tools", "ci-recipes");

    public static TheoryData<string, string> Recipes => new()
    {
        { "github", "github-actions.yml" },
        { "gitlab", "gitlab-ci.yml" },
        { "azure", "azure-pipelines.yml" },
    };

    [Fact]
    public void Each_recipe_file_is_shown_verbatim_in_ci_md()
    {
        string markdown = File.ReadAllText(Path.Combine(Docs, "ci.md")).ReplaceLineEndings("\n");
        var shown = IncludedBlock().Matches(markdown).ToDictionary(m => m.Groups["file"].Value, m => m.Groups["body"].Value);
        var files = Directory.GetFiles(Path.Combine(Docs, "ci"), "*.yml").Select(f => "docs/ci/" + Path.GetFileName(f)).Order().ToList();

        Assert.Equal(3, files.Count);
        Assert.Equal(files, shown.Keys.Order().ToList());
        foreach (string file in files)
        {
            string text = File.ReadAllText(Path.Combine(Repo.Root, file)).ReplaceLineEndings("\n");
            Assert.True(text == shown[file], $"The block after <!-- {file} --> in docs/ci.md differs from {file}: copy the file into it.");
        }
    }

    [Theory]
    [MemberData(nameof(Recipes))]
    public void Each_recipe_passes_its_schema(string kind, string file)
    {
        var result = Check(kind, Path.Combine(Docs, "ci", file));

        Assert.True(result.Errors.Count == 0, $"{file} against {result.Schema}:\n{string.Join('\n', result.Errors)}");
        Assert.Equal(kind == "azure" ? "none (YAML only)" : kind == "github"
            ? "SchemaStore github-workflow (@action-validator/core)" : "GitLab ci.json (gitlab-ci-local)", result.Schema);
        if (kind == "azure")
        {
            Assert.Empty(AzurePipelineProblems(result.Document!));
        }
    }

    [Theory]
    [MemberData(nameof(Recipes))]
    public void Each_recipe_publishes_with_the_registry_as_cache_and_secret_credentials(string kind, string file)
    {
        string text = File.ReadAllText(Path.Combine(Docs, "ci", file));

        Assert.Contains("dotnet publish ", text, StringComparison.Ordinal);
        Assert.Contains("-p:PublishContainer=true", text, StringComparison.Ordinal);
        Assert.Contains("-p:ContainerRegistry=", text, StringComparison.Ordinal);
        Assert.Contains("-p:ContainerRepository=", text, StringComparison.Ordinal);
        Assert.Matches(@"-p:ContainerImageTags=""\$\S+%3B\$\S+""", text);
        Assert.Matches(@"CONTAINERTASKS_CACHE_FROM=""\S+:\S+;\S+:main""", text);
        Assert.Matches(@"DOTNET_CONTAINER_PUSH_REGISTRY_UNAME: \S", text);
        Assert.Matches(kind switch
        {
            "github" => @"DOTNET_CONTAINER_PUSH_REGISTRY_PWORD: \$\{\{ secrets\.GITHUB_TOKEN \}\}",
            "gitlab" => @"DOTNET_CONTAINER_PUSH_REGISTRY_PWORD: \$CI_REGISTRY_PASSWORD",
            _ => @"DOTNET_CONTAINER_PUSH_REGISTRY_PWORD: \$\(registryPassword\)",
        }, text);
        Assert.DoesNotMatch(@"(echo|printf)[^\n]*PWORD", text);
    }

    [Theory]
    [InlineData("github", "github-actions.yml", "    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    timeout-minutes: soon\n")]
    [InlineData("gitlab", "gitlab-ci.yml", "  stage: publish\n", "  stage: publish\n  scripts: []\n")]
    [InlineData("azure", "azure-pipelines.yml", "\npool:\n", "\npools:\n")]
    [InlineData("azure", "azure-pipelines.yml", "  - task: Cache@2\n", "  - task: Cache@2\n    input: {}\n")]
    public void A_broken_recipe_fails_its_check(string kind, string file, string original, string broken)
    {
        string text = File.ReadAllText(Path.Combine(Docs, "ci", file)).ReplaceLineEndings("\n");
        Assert.Contains(original, text, StringComparison.Ordinal);
        using var folder = new TempDirectory();
        File.WriteAllText(folder[file], text.Replace(original, broken, StringComparison.Ordinal));

        var result = Check(kind, folder[file]);

        var problems = kind == "azure" && result.Errors.Count == 0 ? AzurePipelineProblems(result.Document!) : result.Errors;
        Assert.NotEmpty(problems);
    }

    [Fact]
    public void Broken_yaml_fails_every_check()
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder["broken.yml"], "steps:\n  - script: a\nsteps: []\n");

        foreach (string kind in new[] { "github", "gitlab", "azure" })
        {
            Assert.Contains(Check(kind, folder["broken.yml"]).Errors, e => e.StartsWith("YAML:", StringComparison.Ordinal));
        }
    }

    private sealed record CheckResult(string Schema, IReadOnlyList<string> Errors, JsonNode? Document);

    private static CheckResult Check(string kind, string file)
    {
        if (!Directory.Exists(Path.Combine(CheckerTools, "node_modules")))
        {
            throw new Xunit.Sdk.XunitException($"The CI recipe checkers are not installed in {CheckerTools}. Run build/bootstrap.sh once.");
        }
        string script = Path.Combine(AppContext.BaseDirectory, "scripts", "check_ci_recipe.mjs");
        var run = Run.Process("node", [script, CheckerTools, kind, file]).EnsureSuccess($"check_ci_recipe.mjs {kind} {file}");
        var result = JsonNode.Parse(run.StandardOutput)!;
        return new CheckResult(
            (string)result["schema"]!,
            result["errors"]!.AsArray().Select(e => (string)e!).ToList(),
            result["document"]);
    }

    // Azure Pipelines: the keys of a single-job pipeline and of the step kinds the recipe uses, as Microsoft's YAML
    // schema reference lists them (https://learn.microsoft.com/azure/devops/pipelines/yaml-schema/).
    private static readonly string[] PipelineKeys =
        ["name", "appendCommitMessageToRunName", "trigger", "pr", "schedules", "resources", "parameters", "variables",
         "pool", "lockBehavior", "extends", "stages", "jobs", "steps", "workspace", "container", "services"];
    private static readonly string[] CommonStepKeys =
        ["displayName", "name", "condition", "continueOnError", "enabled", "env", "timeoutInMinutes", "retryCountOnTaskFailure", "target"];
    private static readonly string[] ScriptKeys = ["script", "workingDirectory", "failOnStderr"];
    private static readonly string[] TaskKeys = ["task", "inputs"];
    private static readonly string[] CheckoutKeys =
        ["checkout", "clean", "fetchDepth", "fetchFilter", "fetchTags", "lfs", "persistCredentials", "submodules", "path", "sparseCheckoutDirectories", "sparseCheckoutPatterns", "workspaceRepo"];

    private static List<string> AzurePipelineProblems(JsonNode document)
    {
        var problems = new List<string>();
        if (document is not JsonObject pipeline)
        {
            return ["the pipeline is not a mapping"];
        }
        problems.AddRange(pipeline.Select(p => p.Key).Except(PipelineKeys).Select(k => $"unknown pipeline key '{k}'"));
        if (pipeline["pool"]?["vmImage"] is not JsonValue)
        {
            problems.Add("pool.vmImage is missing");
        }
        if (pipeline["trigger"] is null)
        {
            problems.Add("trigger is missing");
        }
        if (pipeline["variables"] is not null and not JsonObject)
        {
            problems.Add("variables is not a mapping");
        }
        if (pipeline["steps"] is not JsonArray steps || steps.Count == 0)
        {
            problems.Add("steps is missing or empty");
            return problems;
        }
        var tasks = new List<string>();
        foreach (var node in steps)
        {
            if (node is not JsonObject step)
            {
                problems.Add("a step is not a mapping");
                continue;
            }
            string[] kinds = step.Select(p => p.Key).Intersect(["script", "task", "checkout"]).ToArray();
            if (kinds.Length != 1)
            {
                problems.Add($"a step has {kinds.Length} of script, task, checkout");
                continue;
            }
            string[] allowed = kinds[0] switch { "script" => ScriptKeys, "task" => TaskKeys, _ => CheckoutKeys };
            problems.AddRange(step.Select(p => p.Key).Except(allowed.Concat(CommonStepKeys)).Select(k => $"unknown key '{k}' in a {kinds[0]} step"));
            if (kinds[0] == "task")
            {
                string task = (string?)step["task"] ?? "";
                tasks.Add(task);
                if (!TaskName().IsMatch(task))
                {
                    problems.Add($"task '{task}' is not NAME@MAJOR");
                }
                if (step["inputs"] is not JsonObject)
                {
                    problems.Add($"task '{task}' has no inputs mapping");
                }
            }
            if (step["env"] is JsonNode env && (env is not JsonObject map || map.Any(p => p.Value is not JsonValue)))
            {
                problems.Add("env is not a mapping of names to strings");
            }
        }
        foreach (string needed in new[] { "UseDotNet@2", "Cache@2" })
        {
            if (!tasks.Contains(needed))
            {
                problems.Add($"no {needed} step");
            }
        }
        var publish = steps.OfType<JsonObject>().FirstOrDefault(s => ((string?)s["script"])?.Contains("dotnet publish", StringComparison.Ordinal) == true);
        if (publish?["env"]?["DOTNET_CONTAINER_PUSH_REGISTRY_PWORD"] is null)
        {
            problems.Add("the publish step does not map the secret password into its env");
        }
        return problems;
    }

    [GeneratedRegex(@"<!-- (?<file>docs/ci/[\w.-]+\.yml) -->\n```yaml\n(?<body>.*?)```\n", RegexOptions.Singleline)]
    private static partial Regex IncludedBlock();

    [GeneratedRegex(@"^[A-Za-z][\w.-]*@\d+$")]
    private static partial Regex TaskName();
}
