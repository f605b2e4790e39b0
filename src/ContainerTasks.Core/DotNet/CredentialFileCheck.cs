namespace ContainerTasks.DotNet;

/// <summary>What to do when a file going into the image looks like a credential store.</summary>
public enum CredentialFileCheck
{
    /// <summary>Warning CT4121 (the default).</summary>
    Warning,
    /// <summary>Error CT4121: nothing is built or pushed.</summary>
    Error,
    /// <summary>No check.</summary>
    None,
}
