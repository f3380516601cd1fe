package io.atrium.artifacts;

import io.atrium.tenancy.TenantId;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs and checks the part URLs of multipart uploads. The mlflow client PUTs each part to the URL
 * it was given without Atrium's Authorization header (it treats the URL like an S3 presigned URL),
 * so the URL itself is the credential: an HMAC-SHA256 over the tenant, the upload, the part number
 * and the expiry. Changing any of them (another part, another upload, another tenant, a later
 * expiry) gives a signature nobody without the key can compute.
 */
final class PartSigner {
  private final byte[] key;

  PartSigner(byte[] key) {
    if (key.length < 32) {
      throw new IllegalArgumentException("a part-signing key needs at least 256 bits");
    }
    this.key = key.clone();
  }

  String sign(TenantId tenant, String uploadId, int partNumber, long expiresEpochSeconds) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      // Unambiguous: upload ids are [A-Za-z0-9_-], the other fields numbers; '\n' separates them.
      String message = "atrium-mpu-part-v1\n" + tenant.value() + "\n" + uploadId + "\n" + partNumber + "\n" + expiresEpochSeconds;
      return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(message.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is unavailable", e);
    }
  }

  /** Whether {@code signature} is the one for these values (compared in constant time). */
  boolean verify(TenantId tenant, String uploadId, int partNumber, long expiresEpochSeconds, String signature) {
    if (signature == null) {
      return false;
    }
    byte[] expected = sign(tenant, uploadId, partNumber, expiresEpochSeconds).getBytes(StandardCharsets.US_ASCII);
    return MessageDigest.isEqual(expected, signature.getBytes(StandardCharsets.UTF_8));
  }
}
