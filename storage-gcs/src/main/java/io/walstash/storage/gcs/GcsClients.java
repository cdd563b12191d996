package io.walstash.storage.gcs;

import com.google.api.gax.retrying.RetrySettings;
import com.google.auth.Credentials;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.auth.oauth2.ServiceAccountCredentials;
import com.google.cloud.NoCredentials;
import com.google.cloud.http.HttpTransportOptions;
import com.google.cloud.storage.HttpStorageOptions;
import com.google.cloud.storage.StorageOptions;
import com.google.cloud.storage.StorageRetryStrategy;
import io.walstash.core.storage.StorageFailure;
import io.walstash.core.storage.StorageFailure.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** Builds the google-cloud-storage client (HTTP/JSON transport) that {@link GcsStorage} uses. */
final class GcsClients {
    private GcsClients() {
    }

    /** The client and the project it creates buckets in, if one is known. */
    record Client(com.google.cloud.storage.Storage storage, Optional<String> project) {
    }

    static Client create(GcsLocation location, GcsSettings settings) throws IOException {
        Credentials credentials = credentials(location, settings);
        Optional<String> project = settings.project().or(() -> projectOf(credentials));
        HttpStorageOptions.Builder options = StorageOptions.http()
                .setCredentials(credentials)
                // Given explicitly (empty when unknown): otherwise the client goes looking for one
                // in the environment, gcloud's configuration and App Engine's metadata.
                .setProjectId(project.orElse(""))
                .setRetrySettings(retrySettings(settings))
                // Every walstash request may be repeated: creates carry ifGenerationMatch=0, and
                // deleting an object twice is harmless.
                .setStorageRetryStrategy(StorageRetryStrategy.getUniformStorageRetryStrategy())
                .setTransportOptions(HttpTransportOptions.newBuilder()
                        .setConnectTimeout(millis(settings.connectTimeout()))
                        .setReadTimeout(millis(settings.readTimeout()))
                        .build());
        settings.endpoint().ifPresent(endpoint -> options.setHost(endpoint.toString()));
        return new Client(options.build().getService(), project);
    }

    static RetrySettings retrySettings(GcsSettings settings) {
        return RetrySettings.newBuilder()
                .setMaxAttempts(settings.maxRetries() + 1)
                .setInitialRetryDelayDuration(settings.initialRetryDelay())
                .setRetryDelayMultiplier(2.0)
                .setMaxRetryDelayDuration(settings.maxRetryDelay())
                // Bounded by the attempts; the total is a backstop for slow attempts.
                .setTotalTimeoutDuration(Duration.ofMinutes(10))
                .setInitialRpcTimeoutDuration(settings.readTimeout())
                .setRpcTimeoutMultiplier(1.0)
                .setMaxRpcTimeoutDuration(settings.readTimeout())
                .build();
    }

    /**
     * The credentials file when one is named; none against a custom endpoint (emulators); else
     * Google's application-default credentials. Messages name the file, never its content.
     */
    static Credentials credentials(GcsLocation location, GcsSettings settings) throws IOException {
        if (settings.credentialsFile().isPresent()) {
            return fromFile(settings.credentialsFile().get());
        }
        if (settings.endpoint().isPresent()) {
            return NoCredentials.getInstance();
        }
        try {
            return GoogleCredentials.getApplicationDefault();
        } catch (IOException e) {
            // The library's message names where it looked; it holds no secret, but keep it one line.
            throw new StorageFailure(Reason.NO_CREDENTIALS, "no Google credentials for " + location + ": set "
                    + GcsDeclarations.CREDENTIALS + " to a service-account JSON file, or provide application-default"
                    + " credentials (gcloud auth application-default login, or run on Google Cloud)");
        }
    }

    private static Credentials fromFile(Path file) throws IOException {
        String name = GcsDeclarations.CREDENTIALS.name();
        try (InputStream in = Files.newInputStream(file)) {
            return GoogleCredentials.fromStream(in);
        } catch (NoSuchFileException e) {
            throw new StorageFailure(Reason.NO_CREDENTIALS, name + " names " + file + ", which does not exist");
        } catch (AccessDeniedException e) {
            throw new StorageFailure(Reason.NO_CREDENTIALS, name + " names " + file + ", which this user can't read");
        } catch (IOException | RuntimeException e) {
            // No cause and no parser message: either could quote the file, private key and all.
            throw new StorageFailure(Reason.NO_CREDENTIALS, name + " names " + file
                    + ", which is not a Google credentials JSON file (such as a service-account key)");
        }
    }

    private static Optional<String> projectOf(Credentials credentials) {
        if (credentials instanceof ServiceAccountCredentials serviceAccount && serviceAccount.getProjectId() != null) {
            return Optional.of(serviceAccount.getProjectId());
        }
        if (credentials instanceof GoogleCredentials google && google.getQuotaProjectId() != null) {
            return Optional.of(google.getQuotaProjectId());
        }
        return Optional.empty();
    }

    private static int millis(Duration duration) {
        return (int) Math.min(Integer.MAX_VALUE, duration.toMillis());
    }
}
