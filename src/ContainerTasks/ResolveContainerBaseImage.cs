using ContainerTasks.DotNet;
using Microsoft.Build.Framework;
using MSBuildTask = Microsoft.Build.Utilities.Task;

namespace ContainerTasks.MSBuild;

/// <summary>Infers <c>ContainerBaseImage</c> as the SDK does when the project does not set it.</summary>
public sealed class ResolveContainerBaseImage : MSBuildTask
{
    /// <summary><c>NETCoreSdkVersion</c>.</summary>
    [Required] public string SdkVersion { get; set; } = "";
    /// <summary>The target framework version without 'v', e.g. 10.0.</summary>
    [Required] public string TargetFrameworkVersion { get; set; } = "";
    /// <summary><c>@(FrameworkReference)</c>.</summary>
    public ITaskItem[] FrameworkReferences { get; set; } = [];
    /// <summary>The container runtime identifier.</summary>
    [Required] public string RuntimeIdentifier { get; set; } = "";
    /// <summary>Self-contained publish.</summary>
    public bool SelfContained { get; set; }
    /// <summary>NativeAOT publish.</summary>
    public bool PublishAot { get; set; }
    /// <summary>Trimmed publish.</summary>
    public bool PublishTrimmed { get; set; }
    /// <summary><c>InvariantGlobalization</c>.</summary>
    public bool InvariantGlobalization { get; set; }
    /// <summary><c>ContainerFamily</c>.</summary>
    public string? ContainerFamily { get; set; }

    /// <summary>The inferred base image reference.</summary>
    [Output] public string? ComputedBaseImage { get; private set; }

    /// <inheritdoc />
    public override bool Execute()
    {
        try
        {
            ComputedBaseImage = BaseImageInference.Infer(new BaseImageInputs(SdkVersion, TargetFrameworkVersion,
                FrameworkReferences.Select(i => i.ItemSpec).ToList(), RuntimeIdentifier, SelfContained, PublishAot, PublishTrimmed, InvariantGlobalization,
                string.IsNullOrWhiteSpace(ContainerFamily) ? null : ContainerFamily));
            Log.LogMessage(MessageImportance.Low, $"Inferred ContainerBaseImage: {ComputedBaseImage}");
            return true;
        }
        catch (ContainerTasksException e)
        {
            new TaskBuildLog(Log).Error(e);
            return false;
        }
    }
}
