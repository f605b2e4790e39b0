using ContainerTasks.Model;

namespace ContainerTasks.Tests;

/// <summary>
/// <see cref="ContainerNames"/> against the .NET SDK 10.0.401 built-in. The expected values were observed with
/// <c>dotnet msbuild console.csproj -t:ComputeContainerConfig -getProperty:ContainerRepository -p:ContainerRepository=NAME</c>
/// (or <c>-p:AssemblyName=NAME</c>, same result), and with a harness project calling the built-in ParseContainerProperties
/// task directly (<c>-v:n</c> shows its "'X' was not a valid container image name, it was normalized to 'y'" message).
/// </summary>
public class ContainerNamesTests
{
    [Theory]
    // Built-in: ContainerRepository → the normalized name, with the "was normalized" message.
    [InlineData("My_App", "my_app")]
    [InlineData("my app", "my-app")]
    [InlineData("My.App", "my-app")]
    [InlineData("App@2", "app-2")]
    [InlineData("app/Sub", "app/sub")]
    [InlineData("APP", "app")]
    [InlineData("app..x", "app--x")]
    [InlineData("app  x", "app--x")]
    [InlineData("a b/c d", "a-b/c-d")]
    [InlineData("app:1", "app-1")]
    [InlineData("aÄpp", "a-pp")]
    [InlineData("a+b", "a-b")]
    [InlineData("a~b", "a-b")]
    [InlineData("a.-b", "a--b")]
    public void A_name_with_upper_case_or_invalid_characters_is_normalized_as_the_SDK_does_with_a_warning(string name, string expected)
    {
        string repository = ContainerNames.NormalizeRepository(name, out string? warning);

        Assert.Equal(expected, repository);
        Assert.NotNull(warning);
        Assert.Contains($"'{name}'", warning);
        Assert.Contains($"'{expected}'", warning);
        Assert.Contains("ContainerRepository", warning);
    }

    [Theory]
    // Built-in: unchanged, no message.
    [InlineData("app")]
    [InlineData("my-app")]
    [InlineData("my_app")]
    [InlineData("app__x")]
    [InlineData("app--x")]
    [InlineData("9app")]
    [InlineData("1")]
    [InlineData("team/app/api")]
    public void A_valid_name_is_kept_without_a_warning(string name)
    {
        Assert.Equal(name, ContainerNames.NormalizeRepository(name, out string? warning));
        Assert.Null(warning);
    }

    [Theory]
    // Built-in: error CONTAINER2005 "The first character of the image name '…' must be a lowercase letter or a digit and all
    // characters in the name must be an alphanumeric character, -, /, or _."
    [InlineData("_app")]
    [InlineData("-app")]
    [InlineData("ÄppÜ")]
    [InlineData("/app")]
    [InlineData(" app")]
    [InlineData("_")]
    [InlineData("\u212Aapp")] // KELVIN SIGN, which lower-cases to an ASCII 'k': still rejected by the built-in.
    public void A_name_whose_first_character_is_not_a_letter_or_digit_is_CT4003(string name)
    {
        var error = Assert.Throws<ContainerTasksException>(() => ContainerNames.NormalizeRepository(name, out _));
        Assert.Equal(ErrorCodes.InvalidRepositoryName, error.Code);
        Assert.Contains($"'{name}'", error.Message);
        Assert.Contains("first character", error.Message);
        Assert.Contains("ContainerRepository", error.Message);
    }

    [Fact]
    public void The_error_for_a_bad_first_character_suggests_the_name_without_it()
    {
        var error = Assert.Throws<ContainerTasksException>(() => ContainerNames.NormalizeRepository("_My_App", out _));
        Assert.Contains("<ContainerRepository>my_app</ContainerRepository>", error.Message);
    }

    [Theory]
    // The built-in accepts these and passes the result on (shown), although registries and docker reject such names
    // (a '/'-separated part must start and end with a letter or digit): here they fail early instead.
    [InlineData("app.")] // built-in: app-
    [InlineData("app#")] // built-in: app-
    [InlineData("app-")] // built-in: app-
    [InlineData("app_")] // built-in: app_
    [InlineData("app/")] // built-in: app/
    [InlineData("a//b")] // built-in: a//b
    [InlineData("a/_b")] // built-in: a/_b
    [InlineData("a/-b")] // built-in: a/-b
    [InlineData("a/.b")] // built-in: a/-b
    [InlineData("a/Äb")] // built-in: a/-b
    [InlineData("aé")] // built-in: a-
    [InlineData("a___b")] // built-in: a___b
    [InlineData("a_-_b")] // built-in: a_-_b
    public void A_name_that_is_still_invalid_after_normalisation_is_CT4003_instead_of_failing_at_the_registry(string name)
    {
        var error = Assert.Throws<ContainerTasksException>(() => ContainerNames.NormalizeRepository(name, out _));
        Assert.Equal(ErrorCodes.InvalidRepositoryName, error.Code);
        Assert.Contains($"'{name}'", error.Message);
        Assert.Contains("start and end with a letter or digit", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void An_empty_name_is_CT4003(string name)
    {
        var error = Assert.Throws<ContainerTasksException>(() => ContainerNames.NormalizeRepository(name, out _));
        Assert.Equal(ErrorCodes.InvalidRepositoryName, error.Code);
        Assert.Contains("empty", error.Message);
    }

    [Fact]
    public void A_name_longer_than_registries_accept_is_CT4003()
    {
        // The built-in accepts a 300-character name.
        var error = Assert.Throws<ContainerTasksException>(() => ContainerNames.NormalizeRepository(new string('a', 300), out _));
        Assert.Equal(ErrorCodes.InvalidRepositoryName, error.Code);
        Assert.Contains("255", error.Message);
    }

    [Fact]
    public void A_name_of_exactly_64_lower_case_hex_characters_is_CT4003_as_it_reads_as_an_image_id()
    {
        string id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        var error = Assert.Throws<ContainerTasksException>(() => ContainerNames.NormalizeRepository(id, out _));
        Assert.Equal(ErrorCodes.InvalidRepositoryName, error.Code);
        Assert.Contains("image ID", error.Message);
        // Upper-case hex is lower-cased first, so it is the same ambiguous name.
        Assert.Equal(ErrorCodes.InvalidRepositoryName, Assert.Throws<ContainerTasksException>(() => ContainerNames.NormalizeRepository(id.ToUpperInvariant(), out _)).Code);
        Assert.Equal(id[..63], ContainerNames.NormalizeRepository(id[..63], out _));
        Assert.Equal(id + "0", ContainerNames.NormalizeRepository(id + "0", out _));
        Assert.Equal($"team/{id}", ContainerNames.NormalizeRepository($"team/{id}", out _));
    }

    [Fact]
    public void A_reference_whose_repository_is_64_hex_characters_is_CT1002_and_a_longer_path_is_not()
    {
        string id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        foreach (string reference in new[] { id, $"{id}:1", $"ghcr.io/{id}", $"localhost:5000/{id}:latest" })
        {
            var error = Assert.Throws<ContainerTasksException>(() => ImageReference.Parse(reference));
            Assert.Equal(ErrorCodes.InvalidReference, error.Code);
            Assert.Contains("image ID", error.Message);
        }
        Assert.Equal($"library/{id}", ImageReference.Parse($"library/{id}").Repository);
        Assert.Equal($"o/{id}", ImageReference.Parse($"ghcr.io/o/{id}").Repository);
    }

    [Theory]
    [InlineData("mcr.microsoft.com/dotnet/runtime: 8.0")]
    [InlineData("my base:1")]
    [InlineData("mcr.microsoft.com/dotnet/run time:8.0")]
    public void A_base_image_with_a_space_is_CT1002_where_the_SDK_replaces_it_with_a_dash(string baseImage)
    {
        Assert.Equal(ErrorCodes.InvalidReference, Assert.Throws<ContainerTasksException>(() => ImageReference.Parse(baseImage)).Code);
    }

    [Theory]
    // Built-in: valid tags.
    [InlineData("latest")]
    [InlineData("1.0")]
    [InlineData("_ok")]
    [InlineData("Latest")]
    [InlineData("1.0-rc_1")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")] // 128 characters
    public void A_valid_tag_passes_validation(string tag)
    {
        ContainerNames.ValidateTag(tag);
        Assert.True(ContainerNames.IsValidTag(tag));
    }

    [Theory]
    // Built-in: CONTAINER2007 "Invalid ContainerImageTag provided: …. Image tags must be alphanumeric, underscore, hyphen, or period."
    [InlineData("-bad", "starts with '-'")]
    [InlineData(".bad", "starts with '.'")]
    [InlineData("v 1", "contains a space")]
    [InlineData(" v1 ", "contains a space")]
    [InlineData("a:b", "contains ':'")]
    [InlineData("1.0+build", "contains '+'")]
    [InlineData("a;b", "contains ';'")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "129 characters")]
    [InlineData("", "empty")]
    // The built-in accepts 'é' (any Unicode letter); the OCI tag grammar and registries allow ASCII only.
    [InlineData("é", "contains 'é'")]
    public void An_invalid_tag_is_CT4004_naming_the_tag_and_the_rule(string tag, string problem)
    {
        var error = Assert.Throws<ContainerTasksException>(() => ContainerNames.ValidateTag(tag));
        Assert.Equal(ErrorCodes.InvalidImageTag, error.Code);
        Assert.Contains($"'{tag}'", error.Message);
        Assert.Contains(problem, error.Message);
        Assert.Contains("1 to 128 ASCII letters, digits, '_', '.' and '-'", error.Message);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("", "")]
    [InlineData(null, "  ")]
    // Built-in: a ContainerImageTags with no entries (e.g. ";") and no ContainerImageTag yields no tags at all and the
    // image cannot be named; here it falls back to latest like an unset property.
    [InlineData(null, ";")]
    [InlineData("", " ; ; ")]
    public void Without_any_tag_the_tag_is_latest(string? tag, string? tags)
    {
        Assert.Equal(["latest"], ContainerNames.ParseTags(tag, tags));
    }

    [Theory]
    // Built-in (ParseContainerProperties NewContainerTags): the same lists.
    [InlineData("1.0", null, new[] { "1.0" })]
    [InlineData("1.0", "", new[] { "1.0" })]
    [InlineData("1", ";", new[] { "1" })]
    [InlineData(null, "1.0;latest", new[] { "1.0", "latest" })]
    [InlineData(null, "1.0;;latest;", new[] { "1.0", "latest" })]
    [InlineData(null, " 1.0 ; 2.0 ", new[] { "1.0", "2.0" })]
    // The built-in keeps the duplicate (1, 1) and so pushes the same tag twice.
    [InlineData(null, "1;1;2", new[] { "1", "2" })]
    public void Tags_come_from_ContainerImageTag_or_the_semicolon_list_in_ContainerImageTags(string? tag, string? tags, string[] expected)
    {
        Assert.Equal(expected, ContainerNames.ParseTags(tag, tags));
    }

    [Theory]
    // Built-in: CONTAINER2008 "Both ContainerImageTag and ContainerImageTags were provided, but only one or the other is allowed."
    [InlineData("1.0", "2.0")]
    [InlineData(" ", "x")]
    [InlineData("1.0", "1.0;2.0")]
    public void Setting_both_ContainerImageTag_and_ContainerImageTags_is_CT4005(string tag, string tags)
    {
        var error = Assert.Throws<ContainerTasksException>(() => ContainerNames.ParseTags(tag, tags));
        Assert.Equal(ErrorCodes.ConflictingImageTags, error.Code);
        Assert.Contains("ContainerImageTag", error.Message);
        Assert.Contains("ContainerImageTags", error.Message);
    }

    [Fact]
    public void An_invalid_ContainerImageTag_is_CT4004()
    {
        // Built-in: CONTAINER2007 for " " (a blank ContainerImageTag counts as set and is not trimmed).
        var error = Assert.Throws<ContainerTasksException>(() => ContainerNames.ParseTags(" ", null));
        Assert.Equal(ErrorCodes.InvalidImageTag, error.Code);
    }

    [Fact]
    public void Every_invalid_entry_of_ContainerImageTags_is_named_in_one_CT4004()
    {
        // Built-in: CONTAINER2010 "Invalid ContainerImageTags provided: -bad,.worse. ContainerImageTags must be a
        // semicolon-delimited list of valid image tags. …"
        var error = Assert.Throws<ContainerTasksException>(() => ContainerNames.ParseTags(null, "good;-bad;.worse"));
        Assert.Equal(ErrorCodes.InvalidImageTag, error.Code);
        Assert.Contains("'-bad'", error.Message);
        Assert.Contains("'.worse'", error.Message);
        Assert.DoesNotContain("'good'", error.Message);
    }

    [Fact]
    public void A_single_invalid_entry_of_ContainerImageTags_is_CT4004_naming_it()
    {
        // Built-in: CONTAINER2010 "Invalid ContainerImageTags provided: a b. …"
        var error = Assert.Throws<ContainerTasksException>(() => ContainerNames.ParseTags(null, "a b;c"));
        Assert.Equal(ErrorCodes.InvalidImageTag, error.Code);
        Assert.Contains("'a b'", error.Message);
    }
}
