package io.tokenmeter.bills;

import com.azure.core.credential.TokenCredential;
import com.azure.core.util.Context;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobContainerClientBuilder;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.DownloadRetryOptions;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.common.policy.RequestRetryOptions;
import com.azure.storage.common.policy.RetryPolicyType;
import io.tokenmeter.azure.BlobStorage;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongConsumer;

/**
 * An Azure Blob Storage container of Cost Management exports, signed in with a connection string or with Microsoft
 * Entra ID (the identity needs Storage Blob Data Reader). Every failure is one line without secrets.
 */
public final class AzureExportContainer implements ExportContainer {

    private static final Duration LIST_TIMEOUT = Duration.ofMinutes(2);
    private static final int LIST_PAGE = 5_000;
    // a download resumes where it broke off, up to this many times
    private static final int DOWNLOAD_RETRIES = 5;

    private final BlobContainerClient client;
    private final String container;
    private final String where;
    private final BlobStorage.SignIn signIn;
    private final String connectionString;

    private AzureExportContainer(BlobContainerClient client, String container, BlobStorage.SignIn signIn, String connectionString) {
        this.client = client;
        this.container = container;
        this.where = "Azure Blob storage " + BlobStorage.withoutQuery(client.getAccountUrl());
        this.signIn = signIn;
        this.connectionString = connectionString;
    }

    /** The container, signed in with a connection string's key or SAS. Throws {@link IllegalArgumentException} for unusable arguments. */
    public static AzureExportContainer connect(String connectionString, String container) {
        if (connectionString == null || connectionString.isBlank()) {
            throw new IllegalArgumentException("the Azure Storage connection string is empty");
        }
        BlobStorage.requireContainerName(container);
        try {
            return new AzureExportContainer(builder().connectionString(connectionString).containerName(container).buildClient(), container,
                    BlobStorage.SignIn.CONNECTION_STRING, connectionString);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("the Azure Storage connection string is not usable ("
                    + BlobStorage.redact(BlobStorage.oneLine(String.valueOf(e.getMessage())), connectionString)
                    + "); expected e.g. DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...;EndpointSuffix=core.windows.net");
        }
    }

    /** The container of the account at {@code accountUrl} (https://ACCOUNT.blob.core.windows.net), signed in with Entra ID. */
    public static AzureExportContainer signIn(String accountUrl, TokenCredential credential, String container) {
        BlobStorage.requireContainerName(container);
        URI uri;
        try {
            uri = URI.create(accountUrl == null ? "" : accountUrl.strip());
        } catch (IllegalArgumentException e) {
            uri = null;
        }
        if (uri == null || uri.getHost() == null || uri.getScheme() == null
                || !List.of("https", "http").contains(uri.getScheme().toLowerCase(Locale.ROOT)) || uri.getQuery() != null) {
            throw new IllegalArgumentException("'" + BlobStorage.withoutQuery(accountUrl) + "' is not a storage account URL "
                    + "(https://ACCOUNT.blob.core.windows.net, without a SAS)");
        }
        try {
            return new AzureExportContainer(builder().endpoint(uri.toString()).credential(credential).containerName(container).buildClient(),
                    container, BlobStorage.SignIn.ENTRA_ID, null);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("the storage account URL is not usable (" + BlobStorage.oneLine(String.valueOf(e.getMessage())) + ")");
        }
    }

    private static BlobContainerClientBuilder builder() {
        // no per-try timeout: a try of a large download lasts as long as the download
        return new BlobContainerClientBuilder().retryOptions(new RequestRetryOptions(RetryPolicyType.EXPONENTIAL, 4, (Duration) null,
                Duration.ofMillis(500), Duration.ofSeconds(4), null));
    }

    @Override
    public List<Blob> list(String prefix) {
        List<Blob> blobs = new ArrayList<>();
        try {
            ListBlobsOptions options = new ListBlobsOptions().setMaxResultsPerPage(LIST_PAGE);
            if (prefix != null && !prefix.isEmpty()) {
                options.setPrefix(prefix);
            }
            for (BlobItem item : client.listBlobs(options, LIST_TIMEOUT)) {
                if (!Boolean.TRUE.equals(item.isPrefix())) {
                    blobs.add(new Blob(item.getName(), item.getProperties().getContentLength(), item.getProperties().getETag()));
                }
            }
        } catch (BlobStorageException e) {
            if (e.getStatusCode() == 404) {
                throw new IllegalStateException("there is no container '" + container + "' at " + where);
            }
            throw new IllegalStateException("cannot list the container '" + container + "': " + explain(e));
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot list the container '" + container + "': " + explain(e));
        }
        return blobs;
    }

    @Override
    public void download(String name, Path target, LongConsumer progress) throws IOException {
        try (OutputStream out = new Counting(Files.newOutputStream(target), progress)) {
            client.getBlobClient(name).downloadStreamWithResponse(out, null, new DownloadRetryOptions().setMaxRetryRequests(DOWNLOAD_RETRIES),
                    null, false, null, Context.NONE);
        } catch (BlobStorageException e) {
            if (e.getStatusCode() == 404) {
                throw new NoSuchFileException(name);
            }
            throw new IOException(explain(e), e);
        } catch (UncheckedIOException e) {
            throw new IOException(explain(e.getCause()), e);
        } catch (RuntimeException e) {
            throw new IOException(explain(e), e);
        }
    }

    @Override
    public String describe() {
        return "Azure Blob container " + container + " at " + where.substring("Azure Blob storage ".length());
    }

    private String explain(Throwable e) {
        return BlobStorage.explain(e, where, signIn, connectionString);
    }

    /** Counts the bytes written on their way to disk. */
    private static final class Counting extends FilterOutputStream {
        private final LongConsumer progress;
        private long bytes;

        Counting(OutputStream out, LongConsumer progress) {
            super(out);
            this.progress = progress;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            progress.accept(++bytes);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            bytes += len;
            progress.accept(bytes);
        }
    }
}
