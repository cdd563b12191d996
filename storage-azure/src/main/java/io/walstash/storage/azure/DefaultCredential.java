package io.walstash.storage.azure;

import com.azure.core.credential.TokenCredential;
import com.azure.identity.DefaultAzureCredentialBuilder;

/**
 * azure-identity's credential chain, kept in its own class so that azure-identity (and MSAL) is
 * loaded only when no key, SAS token or connection string is configured.
 */
final class DefaultCredential {
    private DefaultCredential() {
    }

    /**
     * The chain reads its own environment variables (AZURE_CLIENT_ID, AZURE_TENANT_ID,
     * AZURE_CLIENT_SECRET, AZURE_FEDERATED_TOKEN_FILE, …) from the process, not from walstash's
     * settings; it asks for a token on the first request, not here.
     */
    static TokenCredential create() {
        return new DefaultAzureCredentialBuilder().build();
    }
}
