namespace ContainerTasks.Registry.Http;

/// <summary>A TLS handshake that failed, and the CT3011 error for it: the refused certificate's reason chooses the fix.</summary>
internal static class TlsFailure
{
    /// <summary>True when <paramref name="error"/> is a failed TLS handshake.</summary>
    public static bool Is(HttpRequestException error)
        => error.HttpRequestError == HttpRequestError.SecureConnectionError || error.InnerException is System.Security.Authentication.AuthenticationException;

    /// <summary>The CT3011 error for a handshake with <paramref name="uri"/> that failed while <paramref name="operation"/>.</summary>
    public static ContainerTasksException Error(RegistryTransport transport, Uri uri, string operation, HttpRequestException error)
        => new(ErrorCodes.RegistryCertificate, transport.RefusalFor(uri.Host) is { } problem
            ? $"The TLS certificate of {uri.Authority} was refused while {operation}: {problem.Reason}. {problem.Fix(uri.Authority)}"
            : $"The TLS connection to {uri.Authority} failed while {operation}: {NetworkFailure.Describe(error)}. If the registry uses a private CA, put it in /etc/docker/certs.d/{uri.Authority}/ca.crt or in the bundle SSL_CERT_FILE names; for a test registry, list it in DOTNET_CONTAINER_INSECURE_REGISTRIES.", error);
}
