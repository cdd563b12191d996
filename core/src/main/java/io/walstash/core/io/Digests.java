package io.walstash.core.io;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** The digest walstash records for plain bytes, in one place. */
public final class Digests {
    private Digests() {
    }

    /** A fresh SHA-256 digest; every JDK has one. */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }
}
