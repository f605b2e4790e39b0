// The tests check images with Linux tools (umoci, runc, skopeo) and set Unix file modes.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
