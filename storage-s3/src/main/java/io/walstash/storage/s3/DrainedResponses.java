package io.walstash.storage.s3;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

/**
 * Reads each response body the SDK parses (a listing, an error, a multipart answer) to its end
 * before it is closed, so that its connection goes back to the pool.
 *
 * <p>Why: the SDK's XML parser stops at the closing tag. With a chunked body (how S3 servers send
 * a listing) the last, empty chunk is then still unread, and the JDK's HttpURLConnection keeps the
 * connection only if that chunk is already at hand when the body is closed; over TLS it rarely is
 * (the JDK looks only at bytes already decrypted). Every listing then cost the next request a new
 * TCP connection and TLS handshake: a wal-fetch lists before its GET, so each fetch of a recovery
 * opened one, some 40 handshakes of CPU on both ends in a recovery of 40 segments.
 *
 * <p>An object's content (a successful GetObject) is left as it is: its reader decides how much to
 * read, and a body closed early is aborted rather than drained (see S3Storage's object stream).
 */
final class DrainedResponses implements ExecutionInterceptor {
    /** Bytes read past the parser's end at most; a longer rest is not worth waiting for (the connection closes). */
    static final int DRAIN_LIMIT = 64 * 1024;

    @Override
    public Optional<InputStream> modifyHttpResponseContent(Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
        Optional<InputStream> body = context.responseBody();
        if (body.isEmpty() || context.httpResponse().isSuccessful()
                && "GetObject".equals(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME))) {
            return body;
        }
        return Optional.of(new DrainedOnClose(body.get()));
    }

    private static final class DrainedOnClose extends FilterInputStream {
        private boolean closed;

        DrainedOnClose(InputStream in) {
            super(in);
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            closed = true;
            try {
                // reaching the end (-1) is what hands the connection back to the pool
                byte[] buffer = new byte[8192];
                long drained = 0;
                int n;
                while (drained <= DRAIN_LIMIT && (n = in.read(buffer)) >= 0) {
                    drained += n;
                }
            } catch (IOException e) {
                // a broken connection is not reused anyway; the parsed answer stands
            } finally {
                in.close();
            }
        }
    }
}
