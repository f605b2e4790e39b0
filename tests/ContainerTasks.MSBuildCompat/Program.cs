using System.Xml;
using Microsoft.Build.Evaluation;

// Usage: ContainerTasks.MSBuildCompat PACKAGE_BUILD_FOLDER PROPERTY...
// Evaluates a project that imports the package's build/ContainerTasks.props and .targets and prints PROPERTY=value
// lines, then the engine's version. Any evaluation error exits with 1 and its message.
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: ContainerTasks.MSBuildCompat PACKAGE_BUILD_FOLDER PROPERTY...");
    return 2;
}
string build = Path.GetFullPath(args[0]);
string xml = $"""
    <Project>
      <PropertyGroup>
        <AssemblyName>App</AssemblyName>
        <OutputType>Exe</OutputType>
      </PropertyGroup>
      <Import Project="{Path.Combine(build, "ContainerTasks.props")}" />
      <Import Project="{Path.Combine(build, "ContainerTasks.targets")}" />
    </Project>
    """;
try
{
    using var collection = new ProjectCollection();
    var project = new Project(XmlReader.Create(new StringReader(xml)), null, null, collection);
    foreach (string name in args.Skip(1))
    {
        Console.WriteLine($"{name}={project.GetPropertyValue(name)}");
    }
    Console.WriteLine($"engine={System.Diagnostics.FileVersionInfo.GetVersionInfo(typeof(Project).Assembly.Location).FileVersion}");
    return 0;
}
catch (Exception e)
{
    Console.Error.WriteLine($"evaluation failed: {e.Message}");
    return 1;
}
